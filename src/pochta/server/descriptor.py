"""Open-file descriptors: the limit ``pochta serve`` runs under, and what it allows.

Every SMTP connection holds one descriptor; so do the store's files (the
database, its ``-wal`` and ``-shm``, once per reading thread), every HTTP
connection, POP3 and the watched folders. A test suite with parallel workers
opens hundreds of SMTP connections at once, and the usual soft limit (1024,
or 256 on macOS) would turn them away. So at start :func:`raise_open_file_limit`
lifts the soft limit to the hard one (which needs no privilege), and the
default ``--smtp-max-connections`` (0) is :func:`default_max_connections`:
the limit less :func:`headroom` for everything else, and at most
:data:`MOST_CONNECTIONS`.

Should descriptors still run out (an explicit cap above what the limit
allows, or a flood of HTTP connections), the SMTP listener keeps a spare one
to answer each waiting connection ``421`` (see :mod:`pochta.server.listener`).

Example::

    limit = raise_open_file_limit()          # e.g. 1024 -> 524288
    cap = default_max_connections(limit)     # 10000
"""

from __future__ import annotations

import logging

try:  # not on Windows, where sockets are not counted against such a limit
    import resource
except ImportError:  # pragma: no cover - pochta serves from POSIX systems
    resource = None  # type: ignore[assignment]

__all__ = [
    "FALLBACK_LIMIT",
    "LEAST_BACKLOG",
    "MOST_CONNECTIONS",
    "default_max_connections",
    "headroom",
    "listen_backlog",
    "open_file_limit",
    "raise_open_file_limit",
]

logger = logging.getLogger(__name__)

#: The limit assumed where the system does not say (no ``resource`` module, or no limit).
FALLBACK_LIMIT = 1024
#: The most SMTP connections the default allows, however high the limit: past
#: this many one event loop is the bottleneck, and each session holds buffers.
MOST_CONNECTIONS = 10_000
#: Descriptors kept for the rest of the process at the least: the store's files
#: (per reading thread), HTTP connections, POP3, TLS files, logs, ``--watch``.
LEAST_HEADROOM = 64
#: The shortest listen queue asked for: a burst of clients beyond the cap waits there too.
LEAST_BACKLOG = 4096
#: The longest listen queue asked for; Linux cuts it to net.core.somaxconn.
MOST_BACKLOG = 65_535


def open_file_limit() -> int:
    """Return the soft limit on open descriptors of this process."""
    if resource is None:
        return FALLBACK_LIMIT
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return FALLBACK_LIMIT * 64 if soft == resource.RLIM_INFINITY else int(soft)


def raise_open_file_limit() -> int:
    """Lift the soft limit on open descriptors to the hard limit; return the limit now.

    Raising the soft limit up to the hard one needs no privilege. Where the
    system refuses, the limit stays as it was.
    """
    if resource is None:
        return FALLBACK_LIMIT
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft == hard:
        return open_file_limit()
    # macOS reports no hard limit but refuses more than OPEN_MAX: ask for a plenty instead.
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 4 * MOST_CONNECTIONS)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as error:
        logger.info("the open-file limit stays at %d: %s", soft, error)
    return open_file_limit()


def headroom(limit: int) -> int:
    """Return the descriptors kept for everything but SMTP connections under ``limit``."""
    return max(LEAST_HEADROOM, limit // 4)


def default_max_connections(limit: int | None = None) -> int:
    """Return the SMTP connection cap for ``limit`` (default: this process's limit).

    The limit less :func:`headroom`, at most :data:`MOST_CONNECTIONS` and at
    least 1: 1024 descriptors allow 768 connections, 256 allow 192.
    """
    limit = open_file_limit() if limit is None else limit
    return max(1, min(MOST_CONNECTIONS, limit - headroom(limit)))


def listen_backlog(max_connections: int) -> int:
    """Return the listen queue for a server taking ``max_connections`` at once.

    Long enough that hundreds of clients connecting in the same moment all
    wait there to be greeted, those over the cap too (they are answered
    ``421`` from it): when the queue is full, Linux drops the handshake's last
    packet and the client is let in a second later, when it is resent
    (asyncio's default queue is 100). The kernel cuts it to its own maximum
    (``net.core.somaxconn``, 4096 on current Linux).
    """
    return max(LEAST_BACKLOG, min(2 * max_connections, MOST_BACKLOG))
