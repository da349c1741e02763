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
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

__all__ = ["INTERVAL", "Syncer"]

logger = logging.getLogger(__name__)

INTERVAL = 0.05
"""Seconds from a commit to the fsync of the write-ahead log that makes it survive a power loss."""


class Syncer:
    """Fsync ``PATH-wal`` within :data:`INTERVAL` of every commit, on a daemon thread."""

    def __init__(self, path: Path, *, interval: float = INTERVAL) -> None:
        """Start the thread for the store file at ``path``."""
        self._wal = Path(f"{path}-wal")
        self._interval = interval
        self._wake = threading.Event()
        self._stopping = False
        self.syncs = 0
        """How many times the log was synced (for tests and benches)."""
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

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait()
            if not self._stopping:
                time.sleep(self._interval)  # gather the commits of this moment
            self._wake.clear()
            self.sync()

    def sync(self) -> None:
        """Fsync the write-ahead log now (nothing to do when there is none)."""
        try:
            descriptor = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:
            return
        except OSError:
            logger.exception("cannot open %s to sync it", self._wal)
            return
        try:
            os.fdatasync(descriptor)
            self.syncs += 1
        except OSError:
            logger.exception("syncing %s failed; the next commit tries again", self._wal)
        finally:
            os.close(descriptor)
