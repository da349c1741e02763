"""The settings of pochta's SMTP server and the callable it delivers messages to."""

from __future__ import annotations

import re
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from pochta.exceptions import ConfigurationError
from pochta.message.envelope import Envelope
from pochta.server.smtp.chaos import Chaos

__all__ = ["AUTH_LINE_LENGTH", "Deliver", "SMTPSettings"]

Deliver = Callable[[bytes, Envelope], Awaitable[str]]
"""Store one message and return its id once it is durably committed.

Raise :class:`~pochta.exceptions.StoreFullError` for a full disk (the client
gets ``452``); any other exception gets ``451``. ``Store.aadd`` fits as is.
"""

AUTH_LINE_LENGTH = 12288
"""Longest AUTH command or response line, CRLF included (RFC 4954 4)."""

# RFC 5321 4.5.3.1.4 lets extensions lengthen MAIL and RCPT: SIZE adds 26
# octets (RFC 1870), AUTH= adds 500 (RFC 4954 5); round up for BODY/SMTPUTF8.
_PARAMETER_ALLOWANCE = 1024


@dataclass(frozen=True, slots=True)
class SMTPSettings:
    """How the SMTP server behaves; every limit answers with its own SMTP code.

    Authentication works like Mailpit's: with ``auth_credentials`` (read from
    ``--smtp-auth-file``) a client must log in with one of them before MAIL;
    with ``auth_accept_any`` AUTH is offered, any credentials are accepted and
    logging in is optional. Giving both is a configuration error.

    Lines in DATA: RFC 5321 4.5.3.1.6 caps a text line at 1000 octets, but
    real clients (HTML mailers, some libraries) send longer ones, and a catcher
    must show what the application really sent. So by default any line is
    accepted up to the message size. Set ``max_line_length`` (e.g. 1000) to
    refuse such a message at its end with ``500 5.5.2 Line too long``.
    """

    hostname: str = "pochta"
    """Name in the greeting and the EHLO reply."""
    max_message_size: int = 50 * 1024 * 1024
    """Largest message in bytes as sent (advertised as SIZE; over it: 552 5.3.4)."""
    max_recipients: int = 100
    """RCPTs accepted per message (RFC 5321 asks for at least 100); more: 452 4.5.3."""
    max_connections: int = 100
    """Sessions at once; one more is greeted with 421 4.7.0 and closed."""
    idle_timeout: float = 300.0
    """Seconds without any byte from the client before 421 4.4.2 (RFC 5321 4.5.3.2.7)."""
    max_bad_commands: int = 10
    """Unknown or malformed commands (500/501) a session may send before 421 and close."""
    max_line_length: int = 0
    """Longest DATA text line, CRLF included; 0: no limit but the message size (below)."""
    max_command_length: int = 512
    """Longest command line, CRLF included (RFC 5321 4.5.3.1.4); see command_limit()."""
    tls_context: ssl.SSLContext | None = None
    """Server-side TLS context; when set, STARTTLS is offered."""
    require_starttls: bool = False
    """Refuse MAIL and AUTH (530 5.7.0) until the client has started TLS."""
    auth_accept_any: bool = False
    """Offer AUTH PLAIN/LOGIN and accept any user name and password; AUTH stays optional."""
    auth_credentials: Mapping[str, str] | None = None
    """Users and passwords (``--smtp-auth-file``); when given, AUTH is required."""
    allowed_recipients: re.Pattern[str] | None = None
    """Recipients must match (unanchored ``search``); others get 550 5.1.0."""
    ignore_rejected_recipients: bool = False
    """Answer 250 to recipients ``allowed_recipients`` refuses, and leave them out."""
    on_rejected: Callable[[], None] | None = None
    """Called for each recipient ``allowed_recipients`` refuses (``SMTPRejected``)."""
    chaos: Chaos | None = None
    """Failures on purpose (``--enable-chaos``); shared by every session, changed by the API."""

    def __post_init__(self) -> None:
        if self.auth_accept_any and self.auth_credentials is not None:
            raise ConfigurationError("SMTP auth: give either an auth file or accept-any, not both")
        if self.require_starttls and self.tls_context is None:
            raise ConfigurationError(
                "SMTP require_starttls needs a TLS context; give a certificate or let "
                "pochta make a self-signed one"
            )
        for name in ("max_message_size", "max_recipients", "max_connections"):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"SMTP {name} must be at least 1")
        if self.max_command_length < 512:
            raise ConfigurationError("SMTP max_command_length must be at least 512 (RFC 5321)")

    @property
    def auth_enabled(self) -> bool:
        """True when AUTH is offered at all."""
        return self.auth_accept_any or self.auth_credentials is not None

    @property
    def auth_required(self) -> bool:
        """True when MAIL needs a successful AUTH first (a credentials file was given)."""
        return self.auth_credentials is not None

    def command_limit(self, verb: str) -> int:
        """Longest line (CRLF included) accepted for ``verb``.

        Plain commands get ``max_command_length``. MAIL and RCPT get room for
        their ESMTP parameters on top, and AUTH lines the 12288 octets of
        RFC 4954, since a base64 PLAIN response alone can pass 512.
        """
        if verb == "AUTH":
            return max(AUTH_LINE_LENGTH, self.max_command_length)
        if verb in ("MAIL", "RCPT"):
            return self.max_command_length + _PARAMETER_ALLOWANCE
        return self.max_command_length
