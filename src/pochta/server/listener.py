"""A listening TCP socket that answers every connection, even with no descriptor left.

asyncio's own servers, when ``accept()`` fails for want of descriptors
(``EMFILE``), stop accepting for a second and try again; connections wait
in the listen queue, unanswered, for as long as descriptors stay short,
minutes when idle sessions hold them. :class:`Listener` accepts on its own
instead. It keeps one spare descriptor; when ``accept()`` fails so, it gives
the spare up, accepts the waiting connection, sends it ``refusal`` (SMTP's
``421``), closes it and takes the spare back, for every connection waiting.
So each connection a client sees accepted gets an answer at once: the
greeting of a session, or the refusal.

Example::

    sock = listening_socket("127.0.0.1", 0, backlog=1024)
    listener = Listener(sock, make_protocol, refusal=b"421 busy\\r\\n")
    listener.start()
    ...
    listener.close()
    await listener.wait_closed()
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
from collections.abc import Callable

__all__ = ["RETRY_DELAY", "WARN_EVERY", "Listener", "listening_socket"]

logger = logging.getLogger(__name__)

#: Seconds before accepting again when even the spare descriptor is gone.
RETRY_DELAY = 0.05
#: Seconds between two warnings about connections turned away.
WARN_EVERY = 10.0
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# The client went away between its handshake and our accept(): nothing to answer.
_CLIENT_GONE = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.ECONNRESET})


def listening_socket(host: str, port: int, *, backlog: int) -> socket.socket:
    """Bind ``host:port`` (port 0: a free one) and listen with a queue of ``backlog``.

    Raises :class:`OSError` (``socket.gaierror`` for a name that does not
    resolve) when the address cannot be used.
    """
    infos = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class Listener:
    """Accept connections on ``sock`` for ``protocol_factory``; turn them away when out of room."""

    def __init__(
        self,
        sock: socket.socket,
        protocol_factory: Callable[[], asyncio.Protocol],
        *,
        refusal: bytes,
        backlog: int = 128,
    ) -> None:
        """Remember the socket; nothing is accepted until :meth:`start`."""
        self._sock = sock
        self._factory = protocol_factory
        self._refusal = refusal
        self._batch = max(1, backlog)
        self._loop = asyncio.get_running_loop()
        self._spare: int | None = None
        self._connecting: set[asyncio.Task[None]] = set()
        self._retry: asyncio.TimerHandle | None = None
        self._closed = False
        self._turned_away = 0
        self._warned_at = -WARN_EVERY

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening socket, as ``asyncio.Server.sockets`` gives it."""
        return () if self._closed else (self._sock,)

    def start(self) -> None:
        """Take the spare descriptor and accept whenever a connection waits."""
        self._spare = _take_spare()
        self._loop.add_reader(self._sock.fileno(), self._accept_waiting)

    def close(self) -> None:
        """Stop accepting and close the socket (connections already made stay open)."""
        if self._closed:
            return
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._give_up_spare()

    async def wait_closed(self) -> None:
        """Wait until connections accepted before :meth:`close` have their protocol."""
        if self._connecting:
            await asyncio.gather(*self._connecting, return_exceptions=True)

    def _accept_waiting(self) -> None:
        for _ in range(self._batch):  # at most a queue's worth per wake-up
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno in _CLIENT_GONE:
                    continue
                if error.errno in _OUT_OF_DESCRIPTORS and self._turn_away():
                    continue
                self._pause(error)
                return
            task = self._loop.create_task(self._connect(conn))
            self._connecting.add(task)
            task.add_done_callback(self._connecting.discard)

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn)
        except Exception:  # the client reset the connection meanwhile
            logger.debug("a connection was lost while it was being set up", exc_info=True)
            conn.close()

    def _turn_away(self) -> bool:
        """Answer one waiting connection with the refusal, using the spare descriptor."""
        if self._spare is None:
            return False
        self._give_up_spare()
        try:
            conn, _ = self._sock.accept()
        except OSError:  # nothing waits after all, or the descriptor was taken
            self._spare = _take_spare()
            return False
        with conn:
            conn.setblocking(False)
            with contextlib.suppress(OSError):
                conn.send(self._refusal)  # a fresh socket's buffer takes one line
        self._spare = _take_spare()
        self._turned_away += 1
        now = self._loop.time()
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            logger.warning(
                "out of file descriptors: %d connection(s) turned away so far; "
                "raise the open-file limit (ulimit -n) or lower --smtp-max-connections",
                self._turned_away,
            )
        return True

    def _pause(self, error: OSError) -> None:
        logger.debug("accepting connections failed (%s); trying again shortly", error)
        self._loop.remove_reader(self._sock.fileno())
        self._retry = self._loop.call_later(RETRY_DELAY, self._resume)

    def _resume(self) -> None:
        self._retry = None
        if not self._closed:
            if self._spare is None:
                self._spare = _take_spare()
            self._loop.add_reader(self._sock.fileno(), self._accept_waiting)

    def _give_up_spare(self) -> None:
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None


def _take_spare() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # no descriptor left even for this: taken again on the next try
        return None
