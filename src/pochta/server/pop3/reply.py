"""Every POP3 reply pochta sends, as a named constant or a small function.

Replies are ``+OK`` or ``-ERR`` and one line of text (RFC 1939 3). Refusals
that a client can act on carry an RFC 2449 response code in brackets:
``[AUTH]`` for a bad login (RFC 3206), ``[SYS/TEMP]`` when trying later may
help, ``[IN-USE]`` never (pochta does not lock a maildrop).
"""

from __future__ import annotations

__all__ = [
    "ALREADY_DELETED",
    "AUTH_FAILED",
    "BYE",
    "CAPA_HEAD",
    "END",
    "LINE_TOO_LONG",
    "LOGIN_FIRST",
    "NEED_USER",
    "NOOP",
    "NOT_AFTER_LOGIN",
    "NO_SUCH_MESSAGE",
    "OPEN_FAILED",
    "SHUTTING_DOWN",
    "STLS_ALREADY",
    "STLS_FIRST",
    "STLS_GO_AHEAD",
    "STLS_NOT_AVAILABLE",
    "SYNTAX_MESSAGE_NUMBER",
    "TIMEOUT",
    "TOO_MANY_CONNECTIONS",
    "TOO_MANY_ERRORS",
    "TOO_MANY_FAILURES",
    "UNKNOWN_COMMAND",
    "UPDATE_FAILED",
    "USER_OK",
    "err",
    "fetched",
    "gone",
    "greeting",
    "locked",
    "maildrop",
    "ok",
    "signing_off",
    "syntax",
]


def ok(text: str) -> bytes:
    """Return a positive reply line: ``+OK text``."""
    return f"+OK {text}\r\n".encode()


def err(text: str) -> bytes:
    """Return a negative reply line: ``-ERR text``."""
    return f"-ERR {text}\r\n".encode()


def greeting(banner: str) -> bytes:
    """Return the greeting; ``banner`` is the APOP timestamp ``<pid.nonce@host>``."""
    return ok(f"pochta POP3 server ready {banner}")


def maildrop(user: str, count: int, octets: int) -> bytes:
    """Return the reply to a login or RSET: how much the maildrop holds."""
    return ok(f"{user}'s maildrop has {count} messages ({octets} octets)")


def locked(seconds: float) -> bytes:
    """Return the refusal of a login from an address that is locked out."""
    wait = max(1, round(seconds))
    return err(f"[AUTH] too many failed logins from this address; try again in {wait} s")


def syntax(usage: str) -> bytes:
    """Return the refusal of a command with the wrong arguments, showing its usage."""
    return err(f"syntax: {usage}")


def fetched(octets: int) -> bytes:
    """Return the first line of RETR's or TOP's answer."""
    return ok(f"{octets} octets")


def gone(number: int) -> bytes:
    """Return the refusal of RETR or TOP of a message deleted from the store meanwhile."""
    return err(f"message {number} was deleted from the store after you logged in")


def signing_off(deleted: int) -> bytes:
    """Return QUIT's reply after the UPDATE state removed ``deleted`` messages."""
    return ok(f"pochta POP3 server signing off ({deleted} messages deleted)")


END = b".\r\n"
"""The line that ends a multi-line answer (LIST, UIDL, RETR, TOP, CAPA)."""

BYE = ok("pochta POP3 server signing off")
NOOP = b"+OK\r\n"
USER_OK = ok("send PASS")
CAPA_HEAD = ok("capability list follows")
STLS_GO_AHEAD = ok("begin TLS negotiation")

UNKNOWN_COMMAND = err("unknown command")
LINE_TOO_LONG = err("line too long (POP3 command lines are at most 512 octets)")
TOO_MANY_ERRORS = err("too many bad commands; closing")
TOO_MANY_CONNECTIONS = err("[SYS/TEMP] too many connections; try again later")
TIMEOUT = err("idle too long; closing")
SHUTTING_DOWN = err("[SYS/TEMP] pochta is shutting down; try again later")

LOGIN_FIRST = err("log in first (USER and PASS, or APOP)")
NEED_USER = err("send USER first")
NOT_AFTER_LOGIN = err("already logged in; this command is for the AUTHORIZATION state")
AUTH_FAILED = err("[AUTH] invalid user name or password")
TOO_MANY_FAILURES = err("[AUTH] too many failed logins; closing")
STLS_FIRST = err("[AUTH] this server takes logins over TLS only; send STLS first")
STLS_ALREADY = err("TLS is already active")
STLS_NOT_AVAILABLE = err("STLS is not available (start pochta serve with --pop3-stls)")
OPEN_FAILED = err("[SYS/TEMP] the maildrop cannot be read now; try again later")

SYNTAX_MESSAGE_NUMBER = err("a message number is a whole number from 1")
NO_SUCH_MESSAGE = err("no such message")
ALREADY_DELETED = err("message already deleted")
UPDATE_FAILED = err("[SYS/TEMP] the deleted messages could not all be removed; they stay")
