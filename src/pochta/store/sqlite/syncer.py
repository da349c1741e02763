"""Bound the window of ``durability="normal"``: fsync the write-ahead log soon after commits.

With ``synchronous=NORMAL`` a commit is written to the write-ahead log (the
operating system has it: a crash of the process loses nothing committed) but
not fsynced; SQLite itself syncs the log only at a checkpoint, so after a
power loss an unbounded tail of commits could be gone. The :class:`Syncer`
thread bounds that tail in time: :meth:`Syncer.committed` (called by the
writer after each commit) wakes it, it waits :data:`INTERVAL` so that the
commits of that moment share one sync, then fdatasyncs the log file. So a
power loss or OS crash loses at most the commits of the last
:data:`INTERVAL` seconds plus one sync; the writer never waits for it.

After a power loss SQLite replays the log's frames up to the last one whose
checksum holds, so a log synced up to a commit holds that commit, whichever
file descriptor synced it.

After each sync the thread also checkpoints the log (copies its frames into
the database file), on a connection of its own: the writing connection's
automatic checkpoint is turned off. That checkpoint ran inside a commit once
the log had 1,000 pages, every 60 or so commits of small messages, and held
that commit's senders for 2.5-3 ms; with messages coming over four
connections, all four waited (docs/store.md, "Measured: Ingest, fourth
round"). A ``PASSIVE`` checkpoint waits for no reader or writer, and one
every :data:`INTERVAL` copies only the pages changed since the last, so the
log stays short.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from pochta.store.sqlite.connection import connect_checkpointer

__all__ = ["INTERVAL", "Syncer"]

logger = logging.getLogger(__name__)

INTERVAL = 0.05
"""Seconds from a commit to the fsync of the write-ahead log that makes it survive a power loss."""


class Syncer:
    """Fsync ``PATH-wal`` within :data:`INTERVAL` of every commit, then checkpoint; a thread."""

    def __init__(
        self, path: Path, connection: sqlite3.Connection, *, interval: float = INTERVAL
    ) -> None:
        """Start the thread for the store file at ``path``, written by ``connection``.

        ``connection``'s automatic checkpoint is turned off: this thread checkpoints instead.
        """
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        self._path = path
        self._wal = Path(f"{path}-wal")
        self._interval = interval
        self._wake = threading.Event()
        self._stopping = False
        self._checkpointer: sqlite3.Connection | None = None
        self.syncs = 0
        """How many times the log was synced (for tests and benches)."""
        self.checkpoints = 0
        """How many times the log was checkpointed (for tests and benches)."""
        self._thread = threading.Thread(target=self._run, name=f"pochta-sync {path}", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Note a commit: the log is synced within :data:`INTERVAL` seconds."""
        self._wake.set()

    def close(self) -> None:
        """Sync what is pending, then stop the thread."""
        self._stopping = True
        self._wake.set()
        self._thread.join()
        if self._checkpointer is not None:
            self._checkpointer.close()

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait()
            if not self._stopping:
                time.sleep(self._interval)  # gather the commits of this moment
            self._wake.clear()
            if self.sync() and not self._stopping:
                self._checkpoint()

    def sync(self) -> bool:
        """Fsync the write-ahead log now; tell whether it did (there may be none)."""
        try:
            descriptor = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError:
            logger.exception("cannot open %s to sync it", self._wal)
            return False
        try:
            os.fdatasync(descriptor)
            self.syncs += 1
            return True
        except OSError:
            logger.exception("syncing %s failed; the next commit tries again", self._wal)
            return False
        finally:
            os.close(descriptor)

    def _checkpoint(self) -> None:
        """Copy the log's frames into the database file, waiting for no reader or writer."""
        try:
            if self._checkpointer is None:
                self._checkpointer = connect_checkpointer(self._path)
            busy = self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[0]
            self.checkpoints += not busy  # busy: another process checkpoints; the next one copies
        except Exception:  # e.g. the file went away: the next commit's wake-up tries again
            logger.exception("checkpointing %s failed; the next commit tries again", self._path)
