"""Follow folders that Django's file backend writes to (``pochta serve --watch DIR``).

Django's file email backend (and pochta's) appends each message, then a line
of 79 dashes, to one ``.log`` file per connection. The :class:`Watcher`
looks at its folders every :data:`INTERVAL` seconds and stores every message
whose separator line has been written; the text after the last separator
(a message still being written) waits for its separator. Files are read in
the order they were last written (then by name), and each file's messages in
their order in it, so the last message written is the newest. A line of dashes
at the very end of a log counts once the file has been still for
:data:`QUIET` seconds (until then it could end a body still being written). Other files that
start with mail headers are taken as one message each (``.eml`` files),
once they have not changed for :data:`SETTLE` seconds.

What was imported is remembered in a small JSON file beside the store
(``mail.db.watch.json``): per file its inode and the byte offset read up to.
A restart goes on from there, so nothing is stored twice; a file replaced
or truncated (another inode, or shorter than the offset) is read again from
the start. The first time, files already in the folder are imported. A
folder that does not exist yet is waited for (Django creates it on the
first message).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from stat import S_ISREG

from pochta.ingest.detect import HEAD, SEPARATOR_LINE, looks_like_message
from pochta.ingest.filelog import split_log
from pochta.ingest.run import add_in_order
from pochta.message.envelope import envelope_for
from pochta.store import Store

__all__ = ["INTERVAL", "QUIET", "SETTLE", "Watcher", "state_path"]

logger = logging.getLogger(__name__)

INTERVAL = 0.5
"""Seconds between two looks at the watched folders."""

SETTLE = 1.0
"""Seconds a message file (not a log) must stay unchanged before it is imported."""

QUIET = 0.2
"""Seconds a log must stay unchanged before a line of dashes at its very end counts."""

_STATE_SUFFIX = ".watch.json"
_State = dict[str, dict[str, int]]  # path -> {"inode": ..., "offset": ...}


def state_path(database: Path) -> Path:
    """Return the file that remembers what was imported into the store at ``database``."""
    return database.with_name(database.name + _STATE_SUFFIX)


class Watcher:
    """Import new mail from ``folders`` into ``store`` as the folders grow.

    :meth:`poll` looks once and returns how many messages it stored (tests
    call it directly); :meth:`start` polls on a daemon thread until :meth:`close`.
    """

    def __init__(
        self,
        store: Store,
        folders: Sequence[Path],
        *,
        state_file: Path | None = None,
        interval: float = INTERVAL,
    ):
        """Remember the folders and load what earlier runs imported.

        ``state_file`` remembers it; by default :func:`state_path` of a store
        whose location is a file.
        """
        self._store = store
        self._folders = [Path(folder).absolute() for folder in folders]
        self._interval = interval
        self._state_file = state_file or state_path(Path(store.location))
        # The store's own files (mail.db, -wal, .watch.json) are never imported.
        self._own = self._state_file.name.removesuffix(_STATE_SUFFIX)
        self._state = _load(self._state_file)
        # (size, mtime) of files whose new bytes held nothing complete yet.
        self._waiting: dict[str, tuple[int, float]] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Poll on a daemon thread until :meth:`close`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pochta-watch", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:
                if self._stop.is_set():
                    return
                logger.exception("watching %s failed; trying again", self._folders)
            self._stop.wait(self._interval)

    def close(self) -> None:
        """Stop polling (idempotent); what was stored is remembered."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def poll(self) -> int:
        """Look at every watched folder once; store what is new; return how many were stored."""
        with self._lock:
            present: set[str] = set()
            stored = 0
            for path in self._files():
                present.add(str(path))
                stored += self._take(path)
            for gone in set(self._state) - present:
                del self._state[gone]
            return stored

    def _files(self) -> list[Path]:
        """Return the files of every watched folder, in the order they were written."""
        files: list[Path] = []
        for folder in self._folders:
            for root, dirs, names in os.walk(folder):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(root, n) for n in names if self._wanted(Path(root, n)))
        # Django names logs YYYYMMDD-HHMMSS-<id>.log: in one second names sort either way.
        return sorted(files, key=_write_order)

    def _wanted(self, path: Path) -> bool:
        """Leave out hidden files and the store's own (mail.db, -wal, .watch.json)."""
        own = path.parent == self._state_file.absolute().parent and path.name.startswith(self._own)
        return not path.name.startswith(".") and not own

    def _take(self, path: Path) -> int:
        """Store what is new in ``path`` and remember how far it was read."""
        try:
            stat = path.stat()
            if not S_ISREG(stat.st_mode):
                return 0  # a FIFO or socket: opening it could block
            known = self._state.get(str(path))
            offset = known["offset"] if known and known["inode"] == stat.st_ino else 0
            if offset > stat.st_size:
                offset = 0  # truncated: read again from the start
            if stat.st_size == offset:
                return 0
            if self._waiting.get(str(path)) == (stat.st_size, stat.st_mtime):
                return 0  # unchanged since the last look found nothing complete
            with path.open("rb") as file:
                file.seek(offset)
                data = file.read()
        except OSError as error:
            logger.warning("cannot read %s (%s); trying again", path, error.strerror)
            return 0
        quiet = time.time() - stat.st_mtime >= QUIET
        messages, consumed = self._split(path, data, offset, stat.st_mtime, quiet=quiet)
        if consumed == 0:
            if quiet and (path.suffix == ".log" or SEPARATOR_LINE.search(data[:HEAD])):
                self._waiting[str(path)] = (stat.st_size, stat.st_mtime)
            return 0
        self._waiting.pop(str(path), None)
        if messages:
            self._store_all(messages)
            logger.info("imported %d message(s) from %s", len(messages), path)
        self._state[str(path)] = {"inode": stat.st_ino, "offset": offset + consumed}
        _save(self._state_file, self._state)
        return len(messages)

    def _split(
        self, path: Path, data: bytes, offset: int, mtime: float, *, quiet: bool
    ) -> tuple[list[bytes], int]:
        """Return the complete messages in ``data`` and how many bytes they used up."""
        if path.suffix == ".log" or SEPARATOR_LINE.search(data[:HEAD]):
            found, consumed = split_log(data, final=False, at_rest=quiet)
            return [raw for _, raw in found], consumed
        if offset == 0 and time.time() - mtime >= SETTLE:
            # A message file, whole once it stopped changing; a non-message is passed over.
            return ([data] if looks_like_message(data) and b"\x00" not in data else []), len(data)
        return [], 0

    def _store_all(self, messages: list[bytes]) -> None:
        async def store_all() -> None:
            # Handed over together, in order, they share the store's commits.
            tasks = [
                await add_in_order(self._store, raw, envelope_for(raw, source="watch"))
                for raw in messages
            ]
            await asyncio.gather(*tasks)

        asyncio.run(store_all())


def _write_order(path: Path) -> tuple[int, str]:
    try:
        return (path.stat().st_mtime_ns, str(path))
    except OSError:  # gone already: _take will find out
        return (0, str(path))


def _load(path: Path) -> _State:
    try:
        data = json.loads(path.read_text("utf-8"))
        files = data["files"]
        return {
            str(name): {"inode": int(v["inode"]), "offset": int(v["offset"])}
            for name, v in files.items()
        }
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        logger.warning(
            "cannot read %s (%s); the watched folders are read from the start", path, error
        )
        return {}


def _save(path: Path, state: _State) -> None:
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(json.dumps({"version": 1, "files": state}, indent=1), "utf-8")
        os.replace(temporary, path)
    except OSError as error:
        logger.warning("cannot write %s (%s); a restart may import again", path, error.strerror)
