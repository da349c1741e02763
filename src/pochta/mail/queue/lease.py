"""Who holds a lease on a queued message, and whether that worker is still alive.

An owner is ``host:pid:worker``. On Linux the host part also names the PID
namespace (``host/pidns-4026531836``): two containers that share a host
name (``--network host``) and a queue file see each other's process ids as
numbers of their own, so a worker in one must not take another's ``pid`` for
a process of its own that is gone. An owner of another host or namespace is
left to its lease's end.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable

__all__ = ["dead_owners", "owner_name"]


def _host() -> str:
    name = socket.gethostname()
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:  # not Linux, or /proc not mounted: the host name alone
        return name
    return f"{name}/pidns-{namespace}"


_HOST = _host()
# Leases written before the namespace was part of the name (queue files of older
# releases, on this machine): still judged by their pid.
_LEGACY_HOST = socket.gethostname()


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
    """Return the owners that were processes of this machine (and PID namespace) and are gone.

    Their leases need not wait to expire: nothing can still be sending.
    Owners on other machines, or in other PID namespaces, are left to their lease's end.
    """
    gone = []
    for owner in owners:
        if owner is None:
            continue
        host, _, rest = owner.partition(":")
        pid, _, _ = rest.partition(":")
        if host in (_HOST, _LEGACY_HOST) and pid.isdigit() and not _alive(int(pid)):
            gone.append(owner)
    return gone
