"""The SMTP email backend: one smtplib connection, reused for every message in a batch."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from pochta.exceptions import ConfigurationError, InvalidMailer
from pochta.mail import settings
from pochta.mail.backends.base import BaseEmailBackend, SendableMessage
from pochta.mail.deprecation import warn_external
from pochta.mail.header import DNS_NAME
from pochta.mail.log import backend_label, log_send
from pochta.mail.queue.failure import Refusals, classify, reply_text
from pochta.mail.submission import Submission, build_submission, prep_address

__all__ = ["EmailBackend", "prep_address", "transact"]

logger = logging.getLogger(__name__)


class EmailBackend(BaseEmailBackend):
    """Send messages through an SMTP server, as Django's SMTP backend.

    As a ``MAILERS`` backend its options are ``host`` (required), ``port``
    (default 465 with ``use_ssl``, 587 with ``use_tls``, else 25),
    ``username``, ``password``, ``use_tls`` (STARTTLS), ``use_ssl`` (implicit
    TLS; not both), ``timeout``, ``ssl_keyfile``, ``ssl_certfile`` and
    ``fail_silently``. Made the old way (no alias), every argument left as
    None takes its ``EMAIL_*`` setting, and the port stays ``EMAIL_PORT``.
    Set :attr:`ssl_context` before opening to trust a private CA.
    """

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool | None = None,
        fail_silently: bool = False,
        use_ssl: bool | None = None,
        timeout: float | None = None,
        ssl_keyfile: str | None = None,
        ssl_certfile: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "alias" not in kwargs:
            warn_external(
                "Directly creating EmailBackend instances is deprecated. Use mail.mailers instead."
            )
        super().__init__(**kwargs)
        self.fail_silently = fail_silently
        self.connection: smtplib.SMTP | None = None
        self._partial_connection: smtplib.SMTP | None = None
        self._lock = threading.RLock()
        self.host: str
        self.port: int
        self.username: str | None = username
        self.password: str | None = password
        self.timeout: float | None = timeout
        self.ssl_keyfile: str | None = ssl_keyfile
        self.ssl_certfile: str | None = ssl_certfile
        if self.alias is None:
            self._from_settings(host, port, use_tls, use_ssl)
            return
        self.use_tls = bool(use_tls)
        self.use_ssl = bool(use_ssl)
        if host is None:
            raise InvalidMailer("OPTIONS must define 'host'.", alias=self.alias)
        if self.use_ssl and self.use_tls:
            raise InvalidMailer(
                "The 'use_ssl' and 'use_tls' OPTIONS are incompatible. "
                "Set at most one of them to True.",
                alias=self.alias,
            )
        self.host = host
        self.port = (
            port if port is not None else 465 if self.use_ssl else 587 if self.use_tls else 25
        )

    def _from_settings(
        self, host: str | None, port: int | None, use_tls: bool | None, use_ssl: bool | None
    ) -> None:
        """Fill what was not given from the ``EMAIL_*`` settings (no alias: the old way)."""
        self.host = host or settings.get_str("EMAIL_HOST")
        self.port = port or int(settings.get_setting("EMAIL_PORT"))
        if self.username is None:
            self.username = settings.get_str("EMAIL_HOST_USER")
        if self.password is None:
            self.password = settings.get_str("EMAIL_HOST_PASSWORD")
        self.use_tls = settings.get_bool("EMAIL_USE_TLS") if use_tls is None else use_tls
        self.use_ssl = settings.get_bool("EMAIL_USE_SSL") if use_ssl is None else use_ssl
        if self.timeout is None:
            self.timeout = settings.get_setting("EMAIL_TIMEOUT")
        if self.ssl_keyfile is None:
            self.ssl_keyfile = settings.get_setting("EMAIL_SSL_KEYFILE")
        if self.ssl_certfile is None:
            self.ssl_certfile = settings.get_setting("EMAIL_SSL_CERTFILE")
        if self.use_ssl and self.use_tls:
            raise ConfigurationError(
                "EMAIL_USE_TLS/EMAIL_USE_SSL are mutually exclusive, so only set "
                "one of those settings to True."
            )

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        """``smtplib.SMTP_SSL`` with ``use_ssl``, else ``smtplib.SMTP``."""
        return smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context: system CAs, plus the client certificate when one is set."""
        context = ssl.create_default_context()
        if self.ssl_certfile or self.ssl_keyfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)  # type: ignore[arg-type]
        return context

    def open(self) -> bool | None:
        """Connect (and STARTTLS, and log in) unless connected.

        Return True if a connection was made now, False if one was already open,
        None if connecting failed silently.
        """
        if self.connection is not None:
            return False
        params: dict[str, Any] = {"local_hostname": DNS_NAME.get_fqdn()}
        if self.timeout is not None:
            params["timeout"] = self.timeout
        if self.use_ssl:
            params["context"] = self.ssl_context
        try:
            self._partial_connection = self.connection_class(self.host, self.port, **params)
            if self.use_tls and not self.use_ssl:
                self._partial_connection.starttls(context=self.ssl_context)
            if self.username and self.password:
                self._partial_connection.login(self.username, self.password)
        except OSError:
            # smtplib.SMTPException is an OSError too (refused, timeout, bad login).
            # Unlike Django, drop a half-open connection now rather than leak its socket.
            if self._partial_connection is not None:
                self._partial_connection.close()
                self._partial_connection = None
            if not self.fail_silently:
                raise
            logger.debug("could not connect to %s:%s", self.host, self.port, exc_info=True)
            return None
        self.connection, self._partial_connection = self._partial_connection, None
        return True

    def _close_connection(self, connection: smtplib.SMTP) -> None:
        try:
            connection.quit()
        except (ssl.SSLError, smtplib.SMTPServerDisconnected):
            # A TLS connection or one the server already dropped may fail to QUIT.
            connection.close()
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise

    def close(self) -> None:
        """Close the connection to the server, if any."""
        for attribute in ("_partial_connection", "connection"):
            connection = getattr(self, attribute)
            if connection is not None:
                try:
                    self._close_connection(connection)
                finally:
                    setattr(self, attribute, None)

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Send every message over one connection; return how many were accepted.

        Every message is built (and its headers and addresses checked) before the
        connection opens, so a bad header sends nothing. A message accepted for
        some recipients only counts as sent, as in Django; a message with a
        ``recipients_refused(refused)`` method (the send queue's) is told which
        were refused, with their replies, even when the send then fails.
        """
        if not email_messages:
            return 0
        envelopes = [(m, build_submission(m)) for m in email_messages if m.recipients()]
        if not envelopes:
            return 0
        with self._lock:
            created = self.open()
            if self.connection is None or created is None:
                return 0
            try:
                return sum(self._send(envelope, message) for message, envelope in envelopes)
            finally:
                if created:
                    self.close()

    def _send(self, envelope: Submission, message: SendableMessage) -> bool:
        assert self.connection is not None
        started = time.monotonic()
        report = getattr(message, "recipients_refused", None)
        try:
            refused = transact(self.connection, envelope, report if callable(report) else None)
        except smtplib.SMTPException as error:
            reason = classify(error).reason
            log_send(
                envelope,
                backend=backend_label(self),
                outcome="failed",
                started=started,
                reason=reason,
            )
            if not self.fail_silently:
                raise
            return False
        reason = "; ".join(
            f"<{address}> refused: {reply_text(code, text)}"
            for address, (code, text) in refused.items()
        )
        log_send(
            envelope,
            backend=backend_label(self),
            outcome="partly sent" if reason else "sent",
            started=started,
            reason=reason,
        )
        return True


def _abandon(connection: smtplib.SMTP, code: int) -> None:
    """End a refused transaction as smtplib's ``sendmail`` does: 421 closes, else RSET."""
    if code == 421:
        connection.close()
        return
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        connection.rset()


def transact(
    connection: smtplib.SMTP,
    envelope: Submission,
    report: Callable[[Refusals], object] | None = None,
) -> dict[str, tuple[int, bytes]]:
    """Send ``envelope`` in one SMTP transaction; return the recipients refused at RCPT.

    smtplib's ``sendmail``, step by step, so that the RCPT refusals reach
    ``report`` as soon as they are known: a transaction that breaks off in
    DATA still says which recipients were refused for good. Raises what
    ``sendmail`` raises (every recipient refused, the sender refused, DATA
    refused, the connection lost).
    """
    connection.ehlo_or_helo_if_needed()
    options = []
    if connection.does_esmtp:
        # RFC 6152: announce 8bit text when the server says it takes it.
        if not envelope.content.isascii() and connection.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if connection.has_extn("size"):
            options.append(f"size={len(envelope.content)}")
    code, reply = connection.mail(envelope.mail_from, options)
    if code != 250:
        _abandon(connection, code)
        raise smtplib.SMTPSenderRefused(code, reply, envelope.mail_from)
    refused: dict[str, tuple[int, bytes]] = {}
    try:
        for address in envelope.rcpt_tos:
            code, reply = connection.rcpt(address)
            if code not in (250, 251):
                refused[address] = (code, reply)
            if code == 421:
                break
    finally:  # even when the connection drops halfway through the recipients
        if refused and report is not None:
            report(refused)
    if len(refused) == len(envelope.rcpt_tos) or code == 421:
        _abandon(connection, code)
        raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = connection.data(envelope.content)
    if code != 250:
        _abandon(connection, code)
        raise smtplib.SMTPDataError(code, reply)
    return refused
