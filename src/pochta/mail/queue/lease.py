"""Who holds a lease on a queued message, and whether that worker is still alive."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable

__all__ = ["dead_owners", "owner_name"]

_HOST = socket.gethostname()


def owner_name(worker: str = "") -> str:
    """Return the lease owner for ``worker`` in this process: ``host:pid:worker``."""
    return f"{_HOST}:{os.getpid()}:{worker or threading.current_thread().name}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def dead_owners(owners: Iterable[str | None]) -> list[str]:
    """Return the owners that were processes of this machine and are gone.

    Their leases need not wait to expire: nothing can still be sending.
    Owners on other machines are left to their lease's end.
    """
    gone = []
    for owner in owners:
        if owner is None:
            continue
        host, _, rest = owner.partition(":")
        pid, _, _ = rest.partition(":")
        if host == _HOST and pid.isdigit() and not _alive(int(pid)):
            gone.append(owner)
    return gone
