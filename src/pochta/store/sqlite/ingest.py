"""The ingest process: a child process that commits the SQLite store's SMTP messages in a flood.

In one process, the SMTP sessions on the event loop and the writer thread take
turns at one interpreter lock: the writer's Python work per message (the
header summary, the compression, the row values) and the loop's (the SMTP
conversation) cannot run at once. :class:`IngestProcess` moves the first to
a child process (:func:`main`) when messages come together:
:meth:`~pochta.store.sqlite.store.SQLiteStore.aadd` of a message below
``PREPARE_INLINE_BELOW`` bytes, while another ``aadd`` waits for its commit,
sends it there over a socket pair, and its sender is answered once the
child's commit returns, as from the writer thread (the same group commit,
the same ``synchronous`` setting, the same pruning). A message that comes
alone goes to the writer thread: the hop to another process and back made
one connection's messages 18 % slower (docs/store.md, "Measured"). But not
while the child takes a flood (it took a message within :data:`FLOOD_GAP`):
then the writer thread's commit would make the child wait for SQLite's
write lock (see :data:`FLOOD_GAP`). Only ``pochta serve`` opens its store so
(``ingest_process``).

What stays with the parent: every other write (the indexer's, deletes, flags,
tags, :meth:`~pochta.store.sqlite.store.SQLiteStore.add`, large messages),
the events and the waiting callers. The parent picks each message's id and
marks it expected before sending it, so the follower never mistakes the
child's rows for another process's. Both processes write the same file;
SQLite's lock orders their transactions. The child's answers are read by the
event loop that sent the messages (``add_reader``: no thread hands them on).

The child starts with the first message sent its way (most stores of a test
suite never start one) and imports for about 0.2 s; until it is ready, and
after it has ended, messages go to the writer thread. A child that dies takes
with it only what it had not committed: those senders get an error (SMTP
``451``, so the client retries), nothing committed is lost, and later
messages go to the writer thread. If the parent dies, the child reads the end
of its socket, finishes its transaction and exits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pochta.exceptions import StoreError, StoreFullError
from pochta.store.identity import new_id
from pochta.store.limit import Limits
from pochta.store.mailbox import events_by_mailbox
from pochta.store.settle import Settle, settle_all, settle_logged
from pochta.store.sqlite.announcer import Announcer
from pochta.store.sqlite.connection import connect_writer, store_error
from pochta.store.sqlite.prepared import Prepared, Unprepared, prepare
from pochta.store.sqlite.syncer import Syncer
from pochta.store.sqlite.writer import StoreStats, commit_rows, prune_after

__all__ = ["IngestProcess", "main"]

logger = logging.getLogger(__name__)

BUFFER = 4 * 1024 * 1024
"""Socket buffer each way: messages in flight before a send would wait for the child."""

IN_FLIGHT = BUFFER // 2
"""Bytes of messages sent to the child and not answered yet beyond which the writer takes the next.

So a send never waits on the event loop: a child that falls behind (SQLite's
lock held elsewhere for seconds, a stopped process) would fill the socket,
and the loop, and every session on it, would wait in ``send``. Half the
buffer, for the kernel's overhead per message.
"""

MAX_GROUP = 512
"""Messages the child commits in one transaction at most."""

CHILD = (
    "import os, sys; from pochta.store.sqlite.ingest import main; "
    "code = main(sys.argv[1:]); sys.stderr.flush(); os._exit(code)"
)
"""What the child runs (``-c``: ``-m`` would import this module twice, via the package).

It leaves by ``os._exit`` once its connection and syncer are closed: the
interpreter's teardown added 60 ms to a stop of ``pochta serve``.
"""

SPIN = 0.001
"""Seconds the child polls for the next message after a commit, while messages keep coming.

Sleeping in ``recv`` instead, the wake-up of the child (and of its idle core)
came in the path of every message: small messages over four connections,
3,270 a second; polling for 0.3 ms, 3,860; for 1 ms, 4,060-4,290; for 2 ms,
3,670-4,280 (``bench/ingest.py --client smtp-source --loads "small x4"``).
It costs at most this much of one core after a commit, and nothing once the
messages stop coming this fast.
"""

FLOOD_GAP = 0.05
"""Seconds after the child took a message during which a message alone goes to it too.

In a flood over four connections a message often finds no other waiting (its
sender was the first back after a group's ``250``s); sent to the writer
thread, 6 % of them were, and each of their 515 commits held SQLite's write
lock for about 1 ms (that thread waits for the interpreter lock meanwhile)
while the child waited for it, in steps of SQLite's busy handler, 1 ms at
least: 83 ms of 8,400 messages' 2 s, in which no sender was answered.
"""

STOP_WAIT = 5.0
"""Seconds :meth:`IngestProcess.close` waits for the child to finish before killing it."""


class IngestProcess:
    """The parent's side: send small messages to the child and settle their callers.

    ``announcer`` hears the pruning after each of the child's groups;
    ``stats`` (the writer's counters) counts its commits and messages.
    """

    def __init__(
        self,
        path: Path,
        *,
        synchronous: str,
        limits: Limits,
        announcer: Announcer,
        stats: StoreStats,
    ) -> None:
        """Commit to the store at ``path`` (made and migrated); the child starts on first use."""
        self._path = path
        self._settings = (str(path), synchronous, limits)
        self._announcer = announcer
        self._stats = stats
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[Settle, str, int]] = {}  # token: (settle, id, bytes)
        self._in_flight = 0  # bytes of the messages in _pending
        self._syncs: dict[int, Future[None]] = {}
        self._token = 0
        self._ready = threading.Event()
        self._started = False
        self._ended = False
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._reading = threading.Lock()  # one reader of the child's answers at a time
        self._thread = threading.Thread(
            target=self._read, name=f"pochta-ingest {path}", daemon=True
        )
        self._sent_at = -FLOOD_GAP  # time.monotonic() of the last message sent to the child
        self.committed = 0
        """How many messages the child has committed (for tests and benches)."""
        self.arriving = 0
        """How many ``aadd`` calls wait for their commit now (kept by the store, on its loop)."""

    def start(self) -> None:
        """Start the child, once (a few ms here; it is ready about 0.2 s later).

        A store that never gets an SMTP message (most of a test suite's) never starts one.
        """
        with self._lock:
            if self._started:
                return
            self._started = True
            # The child imports what this process imported, from where it did (-P: not
            # from the working folder, where a pochta/ or logging.py could shadow it).
            environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            try:
                ours, theirs = socket.socketpair()
            except OSError as error:
                self._failed(error)
                return
            try:
                for end in (ours, theirs):
                    end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER)
                    end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)
                self._process = subprocess.Popen(
                    [sys.executable, "-P", "-c", CHILD, str(theirs.fileno())],
                    pass_fds=(theirs.fileno(),),
                    stdin=subprocess.DEVNULL,
                    env=environment,
                )
            except (OSError, ValueError) as error:  # ValueError: no pass_fds (Windows)
                ours.close()
                self._failed(error)  # the writer thread takes every message, as without
                return
            finally:
                theirs.close()
            self._connection = Connection(ours.detach())
            self._send([self._settings])
            self._thread.start()

    def _failed(self, error: Exception) -> None:
        logger.warning("pochta could not start its ingest process (%s)", error)
        self._ended = True
        self._ready.set()

    @property
    def ready(self) -> bool:
        """Tell whether the child takes messages now (it has started and not ended)."""
        return self._ready.is_set() and not self._ended

    @property
    def pid(self) -> int | None:
        """The child's process id (None: it could not be started)."""
        return None if self._process is None else self._process.pid

    @property
    def flooding(self) -> bool:
        """Tell whether the child took a message within the last :data:`FLOOD_GAP` seconds."""
        return time.monotonic() - self._sent_at < FLOOD_GAP

    def wait_ready(self, timeout: float) -> bool:
        """Start the child and wait up to ``timeout`` seconds until it takes messages.

        Tell whether it does.
        """
        self.start()
        self._ready.wait(timeout)
        return self.ready

    def insert(self, item: Unprepared, settle: Settle) -> bool:
        """Send ``item`` to the child, with the id it will have; False if it takes none now.

        The send goes at once (into a socket buffer of :data:`BUFFER` bytes):
        waiting for the loop's next turn, to send several in one, made each
        message wait longer than the saved system calls gave back. It is False
        too while :data:`IN_FLIGHT` bytes wait for the child's answer.
        """
        if not self._started:
            self.start()
        size = len(item.raw)
        with self._lock:
            if self._in_flight + size > IN_FLIGHT:
                return False
            if not self.ready or not self._listen(asyncio.get_running_loop()):
                return False
            self._token += 1
            id = new_id()
            self._pending[self._token] = (settle, id, size)
            self._in_flight += size
            self._announcer.expect((id,))
            self._send([("add", self._token, id, item.raw, item.envelope, item.mailbox)])
            self._sent_at = time.monotonic()
        return True

    def _send(self, jobs: list[tuple[Any, ...]]) -> None:
        """Send ``jobs`` (holding the lock); a child gone is noticed where its answers are read."""
        assert self._connection is not None
        try:
            self._connection.send_bytes(pickle.dumps(jobs, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            logger.debug("the ingest process of %s is gone", self._path)

    def sync(self) -> None:
        """Return once every message sent before this call is committed and its sender settled."""
        future: Future[None] = Future()
        with self._lock:
            if not self.ready or self._loop is None:  # nothing was sent
                return
            self._token += 1
            self._syncs[self._token] = future
            self._send([("sync", self._token)])
        if threading.get_ident() == self._loop_thread or not self._loop.is_running():
            self._drain(future.done)  # the loop cannot read while it waits here
        future.result()

    def close(self) -> None:
        """Let the child commit what it has, then end it; later messages go to the writer."""
        with self._lock:
            self._started = True  # none starts after this
            if self._process is None:  # none was started, or none could be
                self._ended = True
                return
            if not self._ended:
                self._send([("stop",)])
            self._ended = True  # what comes now goes to the writer (closed or closing)
        self._thread.join(STOP_WAIT)  # the child is ready, or has ended
        if self._thread.is_alive():  # it hangs before "ready": its end wakes the thread
            self._kill()
            self._thread.join()
        self._stop_listening()
        # Until the child's end: it commits all it took first, then exits.
        if not self._drain(lambda: False, deadline=time.monotonic() + STOP_WAIT):
            self._kill()
            self._end()  # what it had not answered fails (451: the client retries)
        try:
            self._process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            self._kill()
        assert self._connection is not None
        self._connection.close()

    def _kill(self) -> None:
        assert self._process is not None
        logger.error("the ingest process of %s did not end; killing it", self._path)
        self._process.kill()
        self._process.wait()

    def _read(self) -> None:
        """Wait for the child's "ready" (its import takes about 0.2 s); the loop reads on."""
        assert self._connection is not None
        with self._reading:
            try:
                reply = pickle.loads(self._connection.recv_bytes())
            except Exception as error:
                self._lost(error)
                return
        self._handle(reply)

    def _listen(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Have ``loop`` read the child's answers; False if another (running) loop does.

        The first message's loop reads them, until it is closed (``asyncio.run``
        per call, as in tests); then the next message's does.
        """
        if self._loop is None or self._loop.is_closed():
            assert self._connection is not None
            try:
                loop.add_reader(self._connection.fileno(), self._readable)
            except NotImplementedError:  # a loop without add_reader (Windows' proactor)
                return False
            self._loop = loop
            self._loop_thread = threading.get_ident()
        return self._loop is loop

    def _readable(self) -> None:
        """Handle every answer the child has sent (on the loop: no thread hands them over)."""
        assert self._connection is not None and self._loop is not None
        if not self._reading.acquire(blocking=False):
            return  # a thread drains the answers (close, or a sync while no loop ran)
        try:
            while self._connection.poll():
                self._handle(pickle.loads(self._connection.recv_bytes()), here=self._loop)
        except Exception as error:
            self._loop.remove_reader(self._connection.fileno())
            self._lost(error)
        finally:
            self._reading.release()

    def _drain(self, until: Callable[[], bool], deadline: float | None = None) -> bool:
        """Read and handle answers on this thread until ``until()`` or the child's end.

        False if ``deadline`` (``time.monotonic()``) came first. One thread reads at a time.
        """
        assert self._connection is not None
        with self._reading:
            try:
                while not until():
                    wait = None if deadline is None else max(deadline - time.monotonic(), 0)
                    if not self._connection.poll(wait):
                        return False
                    self._handle(pickle.loads(self._connection.recv_bytes()))
            except Exception as error:
                self._lost(error)
        return True

    def _lost(self, error: Exception) -> None:
        """The child's socket ended (or sent what cannot be read): the child is gone."""
        if not isinstance(error, EOFError | OSError):
            logger.error(
                "the ingest process of %s sent what pochta cannot read: %r", self._path, error
            )
        self._end()

    def _stop_listening(self) -> None:
        """Take the child's socket back from the loop, so that this thread reads the rest."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        assert self._connection is not None
        descriptor = self._connection.fileno()
        if threading.get_ident() == self._loop_thread or not loop.is_running():
            loop.remove_reader(descriptor)
            return
        removed = threading.Event()

        def remove() -> None:
            loop.remove_reader(descriptor)
            removed.set()

        try:
            loop.call_soon_threadsafe(remove)
        except RuntimeError:  # closed meanwhile
            return
        removed.wait(STOP_WAIT)

    def _handle(
        self, reply: tuple[Any, ...], here: asyncio.AbstractEventLoop | None = None
    ) -> None:
        kind = reply[0]
        if kind == "ready":
            self._ready.set()
            return
        if kind == "synced":
            with self._lock:
                future = self._syncs.pop(reply[1])
            future.set_result(None)
            return
        _, done, failed, pruned = reply
        with self._lock:
            settled = [(self._pending.pop(token), None) for token in done]
            settled += [(self._pending.pop(token), error) for token, error in failed]
            self._in_flight -= sum(size for (_, _, size), _ in settled)
        if failed:
            self._announcer.forget(id for (_, id, _), error in settled if error is not None)
        if done:
            self.committed += len(done)
            self._stats.count(len(done))
        # Before the callers hear back, so that a full store never shows one too many.
        self._announcer.announce(events_by_mailbox("prune", pruned))
        settle_all(
            [
                (settle, id, None if error is None else _rebuilt(*error))
                for (settle, id, _), error in settled
            ],
            here=here,
        )

    def _end(self) -> None:
        """The child has ended: fail what it had not committed; later messages go to the writer."""
        with self._lock:
            self._ended = True
            self._ready.set()  # wait_ready() returns: no child will take messages
            pending, self._pending = self._pending, {}
            self._in_flight = 0
            syncs, self._syncs = self._syncs, {}
        if pending:
            logger.error(
                "the ingest process of %s ended with %d message(s) uncommitted",
                self._path,
                len(pending),
            )
            self._announcer.forget(id for _, id, _ in pending.values())
        error = StoreError(f"pochta's ingest process for {self._path} ended before the commit")
        for settle, _, _ in pending.values():
            settle_logged(settle, None, error)
        for future in syncs.values():
            future.set_result(None)


def _rebuilt(full: bool, text: str) -> StoreError:
    """The child's error as the parent raises it: a full disk stays StoreFullError (SMTP 452)."""
    return StoreFullError(text) if full else StoreError(text)


def _sent(error: StoreError) -> tuple[bool, str]:
    return isinstance(error, StoreFullError), str(error)


# -- the child ---------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """Run the child: commit the messages the parent sends on descriptor ``argv[0]``."""
    # Ctrl+C, or a SIGTERM to the whole group (systemd, kill -TERM -PGID), ends the
    # parent, which stops us after our last commit: we stay for that.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    logging.basicConfig(format="pochta ingest process: %(levelname)s %(message)s")
    connection = Connection(int(argv[0]))
    [(path, synchronous, limits)] = pickle.loads(connection.recv_bytes())
    child = _Child(Path(path), synchronous, limits, connection)
    try:
        child.run()
    finally:
        child.close()
    return 0


class _Child:
    """Read what the parent sends; commit the messages that came meanwhile as one group."""

    def __init__(self, path: Path, synchronous: str, limits: Limits, connection: Connection):
        self._path = path
        self._limits = limits
        self._connection = connection
        self._database = connect_writer(path, synchronous)
        self._syncer = Syncer(path, self._database) if synchronous == "NORMAL" else None
        self._spinning = False
        self._reply(("ready",))

    def _reply(self, reply: tuple[Any, ...]) -> None:
        try:
            self._connection.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:  # the parent is gone: nobody waits for the answer
            logger.debug("the parent of the ingest process is gone")

    def run(self) -> None:
        """Commit in groups, answer "sync" in order, until "stop" or the parent's end.

        (A second thread preparing messages while the previous group commits
        measured slower: 2,000-2,300 small messages a second at four
        connections against 2,400-2,800.)
        """
        while True:
            try:
                jobs = self._receive()
            except (EOFError, OSError):
                return  # the parent is gone: what it sent and we read is committed
            group: list[tuple[Any, ...]] = []
            for job in jobs:
                if job[0] == "add":
                    group.append(job)
                    continue
                self._commit(group)
                group = []
                if job[0] == "stop":
                    return
                self._reply(("synced", job[1]))
            self._commit(group)

    def _receive(self) -> list[tuple[Any, ...]]:
        """Wait for the next jobs, then take all that came meanwhile (up to MAX_GROUP).

        While messages follow each other within :data:`SPIN` seconds, it polls
        for that long before it sleeps in ``recv``: waking a sleeping process
        (and its idle core) costs more than the wait, and every message of the
        flood waits for it (see :data:`SPIN`). Once a wait is longer, it sleeps at once.
        """
        start = time.perf_counter()
        if self._spinning:
            deadline = start + SPIN
            while not self._connection.poll() and time.perf_counter() < deadline:
                pass
        jobs: list[tuple[Any, ...]] = pickle.loads(self._connection.recv_bytes())
        self._spinning = time.perf_counter() - start <= SPIN
        try:
            while len(jobs) < MAX_GROUP and self._connection.poll():
                jobs += pickle.loads(self._connection.recv_bytes())
        except (EOFError, OSError):  # the parent is gone: commit what came, then stop
            jobs.append(("stop",))
        return jobs

    def _commit(self, jobs: list[tuple[Any, ...]]) -> None:
        """Prepare, insert and commit ``jobs``, prune, then answer with their tokens."""
        if not jobs:
            return
        group: list[tuple[int, Prepared]] = []
        failed: list[tuple[int, tuple[bool, str]]] = []
        for _, token, id, raw, envelope, mailbox in jobs:
            try:
                prepared = prepare(raw, envelope, complete=False, mailbox=mailbox, id=id)
            except Exception as exc:  # the header read is total; this is MemoryError and kin
                failed.append((token, _sent(store_error(exc, self._path, "summarise a message"))))
            else:
                group.append((token, prepared))
        pruned: list[tuple[str, str]] = []
        if group:
            error = commit_rows(self._database, self._path, [prepared for _, prepared in group])
            if error is not None:
                failed += [(token, _sent(error)) for token, _ in group]
                group = []
            else:
                if self._syncer is not None:
                    self._syncer.committed()
                pruned = prune_after(self._database, self._path, self._limits)
        self._reply(("done", [token for token, _ in group], failed, pruned))

    def close(self) -> None:
        self._database.close()
        if self._syncer is not None:
            self._syncer.close()
        self._connection.close()
