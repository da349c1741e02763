"""SMTP AUTH for the catcher: the PLAIN and LOGIN exchanges and who may log in.

pochta is a development tool that listens on loopback, so AUTH is offered
over plain text too (like Mailpit with ``--smtp-auth-allow-insecure``); use
STARTTLS with ``require_starttls`` when that matters. Passwords are compared
with :func:`hmac.compare_digest` and never logged or put into an error.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pochta.exceptions import ConfigurationError
from pochta.server.smtp import reply as replies
from pochta.server.smtp.command import CommandError

__all__ = [
    "MECHANISMS",
    "AuthExchange",
    "Authenticator",
    "Credentials",
    "load_credentials",
]

MECHANISMS = ("PLAIN", "LOGIN")
"""The SASL mechanisms pochta offers, in the order EHLO lists them."""

_USERNAME_PROMPT = base64.b64encode(b"Username:")
_PASSWORD_PROMPT = base64.b64encode(b"Password:")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and password a client sent."""

    user: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=<hidden>)"


def load_credentials(path: Path) -> dict[str, str]:
    """Read a Mailpit-style credentials file: one ``user:password`` a line.

    Blank lines and lines starting with ``#`` are skipped. The password is
    everything after the first colon, so it may itself hold colons.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"SMTP auth file '{path}' cannot be read ({exc.__class__.__name__}); "
            "give a readable UTF-8 file of user:password lines"
        ) from None
    credentials: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        user, colon, password = line.partition(":")
        if not colon or not user:
            raise ConfigurationError(
                f"SMTP auth file '{path}' line {number} is not user:password; fix or remove it"
            )
        credentials[user] = password
    if not credentials:
        raise ConfigurationError(f"SMTP auth file '{path}' holds no user:password line")
    return credentials


@dataclass(frozen=True, slots=True)
class Authenticator:
    """Decide whether credentials are good: any at all, or those of a credentials file."""

    accept_any: bool
    credentials: Mapping[str, str] | None

    def check(self, given: Credentials) -> bool:
        """Return True when ``given`` may log in."""
        if self.accept_any:
            return True
        expected = (self.credentials or {}).get(given.user)
        # Compare even for an unknown user so timing does not tell users apart.
        ok = hmac.compare_digest((expected or "\0unknown").encode(), given.password.encode())
        return ok and expected is not None


class AuthExchange:
    """One AUTH conversation: feed it the client's responses, it says what comes next.

    :meth:`step` returns either a 334 challenge line to send or the finished
    :class:`Credentials`; it raises :class:`CommandError` for an aborted or
    malformed exchange.
    """

    __slots__ = ("_mechanism", "_user")

    def __init__(self, mechanism: str) -> None:
        if mechanism not in MECHANISMS:
            raise CommandError(replies.AUTH_MECHANISM)
        self._mechanism = mechanism
        self._user: str | None = None

    def step(self, response: str | None) -> bytes | Credentials:
        """Take the next response (None: the AUTH command had no initial response)."""
        if response is not None and response.strip() == "*":  # RFC 4954 4: client aborts
            raise CommandError(replies.AUTH_ABORTED)
        if self._mechanism == "PLAIN":
            if response is None:
                return replies.auth_challenge(b"")
            return _decode_plain(response)
        if response is None:
            return replies.auth_challenge(_USERNAME_PROMPT)
        if self._user is None:
            self._user = _decode(response)
            return replies.auth_challenge(_PASSWORD_PROMPT)
        return _credentials(self._user, _decode(response))


def _decode(response: str) -> str:
    text = response.strip()
    if text == "=":  # RFC 4954 4: an empty initial response
        return ""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise CommandError(replies.AUTH_BAD_BASE64) from None


def _decode_plain(response: str) -> Credentials:
    # RFC 4616: [authzid] NUL authcid NUL passwd
    fields = _decode(response).split("\0")
    if len(fields) != 3:
        raise CommandError(replies.AUTH_BAD_BASE64)
    return _credentials(fields[1], fields[2])


def _credentials(user: str, password: str) -> Credentials:
    # The user name goes into the envelope: no control characters may ride along.
    if any(ord(char) < 0x20 or char == "\x7f" for char in user):
        raise CommandError(replies.SYNTAX_ARGS)
    return Credentials(user=user, password=password)
