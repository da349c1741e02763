"""Large allocations straight from the system and back to it, so memory follows each message.

glibc's malloc serves a request from 128 KiB on with its own mapping, which
goes back to the system when freed, but it raises that threshold to the
size of each such block freed (up to 32 MiB). After one large message, its
buffers of a few MiB come from the heap of whichever thread made them (the
SMTP loop, the indexer, each of the API's worker threads has its own), and
stay there: one 20 MB message through receive, index, list, open and download
left ``pochta serve`` 3.8 times its size larger; with a fixed threshold it
stayed under 3 (issue 11, ``tests/server/test_memory.py``).
:func:`map_large_allocations` fixes the threshold at :data:`MAP_FROM` with
``mallopt``; elsewhere (musl, macOS, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import sys

__all__ = ["MAP_FROM", "map_large_allocations"]

logger = logging.getLogger(__name__)

MAP_FROM = 1024 * 1024
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def map_large_allocations() -> bool:
    """Have glibc map every allocation from :data:`MAP_FROM` on; True if it agreed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library symbols to find, or no mallopt
        return False
    done = bool(mallopt(_M_MMAP_THRESHOLD, MAP_FROM))
    logger.debug("mmap threshold fixed at %d bytes: %s", MAP_FROM, done)
    return done
