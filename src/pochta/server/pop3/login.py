"""Who may log in to the POP3 server, and the lock-out after repeated failures.

:class:`Logins` checks ``USER``/``PASS`` and ``APOP`` (RFC 1939 7) against
the users of ``--pop3-auth-file``, an htpasswd file as Mailpit reads it
(:mod:`pochta.server.htpasswd`: bcrypt, MD5, SHA or plain), or lets any user
in when no file was given, like the API without ``--ui-auth-file``. APOP
needs the password itself, so it works for users whose entry is plain text
only. Passwords are compared in constant time and never logged.

:class:`LoginGuard` is shared by every session of one server: after
``max_failures`` failed logins from one client address within ``window``
seconds, every login from that address is refused for ``lockout`` seconds,
right password or not. It keys on the address, not the user name, so a
stranger cannot lock a user out from elsewhere by guessing at its name.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from pochta.server.htpasswd import Htpasswd

__all__ = ["LOCKOUT", "MAX_FAILURES", "WINDOW", "LoginGuard", "Logins"]

MAX_FAILURES = 5
"""Failed logins from one address within :data:`WINDOW` that lock it out."""
WINDOW = 300.0
"""Seconds over which failed logins are counted."""
LOCKOUT = 300.0
"""Seconds an address stays locked out."""
_MAX_TRACKED = 10_000  # addresses remembered at once; older ones are forgotten first
# Entries in one of these forms are hashes (pochta.server.htpasswd): no APOP for them.
_HASHED = ("$2y$", "$2a$", "$2b$", "$2x$", "$apr1$", "$1$", "$5$", "$6$", "{SHA}", "{SSHA}")


@dataclass(frozen=True, slots=True)
class Logins:
    """Check POP3 credentials: those of an htpasswd file, or any at all (``credentials=None``)."""

    credentials: Htpasswd | None = None

    @property
    def accept_any(self) -> bool:
        """Tell whether any user name and password get in."""
        return self.credentials is None

    def check_password(self, user: str, password: str) -> bool:
        """Return True when ``user`` may log in with ``password`` (USER and PASS)."""
        return self.credentials is None or self.credentials.verify(user, password)

    def check_apop(self, user: str, banner: str, digest: str) -> bool:
        """Return True when ``digest`` is MD5(banner + password) of ``user``, in hex (APOP)."""
        if self.credentials is None:
            return True
        entry = self.credentials.users.get(user)
        plain = entry is not None and not entry.startswith(_HASHED)
        # Compare even for an unknown or hashed user, so timing does not tell them apart.
        secret = entry if plain and entry is not None else "\0unknown"
        expected = hashlib.md5((banner + secret).encode(), usedforsecurity=False).hexdigest()
        return hmac.compare_digest(expected.encode(), digest.lower().encode()) and plain


class LoginGuard:
    """Count failed logins per client address and lock out those with too many.

    ``clock`` returns seconds (``time.monotonic`` by default); tests pass
    their own. Not thread-safe: one event loop uses it.
    """

    def __init__(
        self,
        *,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW,
        lockout: float = LOCKOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}

    def locked_for(self, peer: str) -> float:
        """Return the seconds ``peer`` stays locked out; 0 when it may try."""
        until = self._locked_until.get(peer)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._locked_until[peer]
            return 0.0
        return left

    def failed(self, peer: str) -> None:
        """Count one failed login from ``peer``; lock it out when that makes too many."""
        now = self._clock()
        recent = [t for t in self._failures.pop(peer, []) if now - t < self.window]
        recent.append(now)
        if len(recent) >= self.max_failures:
            self._locked_until[peer] = now + self.lockout
            recent.clear()
        else:
            self._failures[peer] = recent
        for tracked in (self._failures, self._locked_until):
            while len(tracked) > _MAX_TRACKED:  # dicts keep order: the oldest go first
                del tracked[next(iter(tracked))]

    def succeeded(self, peer: str) -> None:
        """Forget the failures of ``peer`` after a good login."""
        self._failures.pop(peer, None)
