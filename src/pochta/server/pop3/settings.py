"""The settings of pochta's POP3 server: who may log in, TLS, and every limit."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from pochta.exceptions import ConfigurationError
from pochta.server.pop3.login import Logins

__all__ = ["MAX_LINE", "POP3Settings"]

MAX_LINE = 512
"""Longest command line, CRLF included (as Mailpit; RFC 2449 4 asks for 255 at least)."""


@dataclass(frozen=True, slots=True)
class POP3Settings:
    """How the POP3 server behaves.

    TLS comes in one of two ways. With ``tls_context`` and ``stls=False`` the
    port speaks TLS from the first byte (POP3S, what Mailpit does with a
    certificate). With ``stls=True`` the port starts in plain text, offers
    ``STLS`` (RFC 2595) and refuses logins until the client has used it.
    """

    hostname: str = "pochta"
    """Name in the APOP timestamp of the greeting."""
    logins: Logins = field(default_factory=Logins)
    """Who may log in (``Logins()``: anyone)."""
    tls_context: ssl.SSLContext | None = None
    """Server-side TLS context: implicit TLS, or STLS with ``stls``."""
    stls: bool = False
    """Offer STLS on a plain port and take logins only after it."""
    max_connections: int = 50
    """Sessions at once; one more is answered ``-ERR [SYS/TEMP]`` and closed."""
    idle_timeout: float = 600.0
    """Seconds without a byte from the client before closing (RFC 1939 3: at least 10 minutes)."""
    max_line_length: int = MAX_LINE
    """Longest command line, CRLF included; longer ones get ``-ERR line too long``."""
    max_bad_commands: int = 10
    """Unknown or malformed commands a session may send before it is closed."""
    max_session_failures: int = 3
    """Failed logins in one session before it is closed (the address may also be locked out)."""

    def __post_init__(self) -> None:
        if self.stls and self.tls_context is None:
            raise ConfigurationError(
                "POP3 stls needs a TLS context; give a certificate or let pochta make "
                "a self-signed one"
            )
        if self.max_connections < 1 or self.max_session_failures < 1:
            raise ConfigurationError("POP3 max_connections and max_session_failures must be 1+")
        if self.max_line_length < 255:
            raise ConfigurationError("POP3 max_line_length must be at least 255 (RFC 2449 4)")

    @property
    def implicit_tls(self) -> bool:
        """True when the port speaks TLS from the first byte."""
        return self.tls_context is not None and not self.stls
