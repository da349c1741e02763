"""Sending one message on to an upstream SMTP server, with smtplib (blocking: run it on a thread).

The conversation is Mailpit's: connect (implicit TLS with ``tls``, else plain
with STARTTLS when ``starttls``; never opportunistic), log in with the
configured mechanism, apply ``override-from``, ``MAIL FROM``, one ``RCPT TO``
per recipient, ``DATA``, ``QUIT``. A refused recipient is logged and skipped,
unless ``forward-smtp-errors`` is set, which makes it fail the whole send; if
every recipient is refused the send fails. Failures raise
:class:`~pochta.exceptions.RelayError` carrying the upstream's own reply.

Unlike Mailpit, a password is never sent in clear text to a host that is not
this machine, for LOGIN as for PLAIN (Go's client refuses only PLAIN).
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

from pochta.exceptions import RelayError
from pochta.server.relay.config import Upstream
from pochta.server.relay.rewrite import override_from

__all__ = ["TIMEOUT", "Refusal", "send_upstream"]

logger = logging.getLogger(__name__)

TIMEOUT = 30.0
"""Seconds to connect, and to wait for each reply of the upstream."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A recipient the upstream refused, and its reply."""

    address: str
    reply: str


def send_upstream(
    upstream: Upstream,
    sender: str,
    recipients: Sequence[str],
    data: bytes,
    *,
    timeout: float = TIMEOUT,
) -> tuple[Refusal, ...]:
    """Send ``data`` through ``upstream``; return the recipients it refused (and went on).

    Raises :class:`RelayError` when the upstream cannot be reached, refuses
    the login, the sender, every recipient (or one, with
    ``forward-smtp-errors``) or the message.
    """
    _check_login_is_private(upstream)
    if upstream.override_from:
        data = override_from(data, upstream.override_from)
        sender = upstream.override_from
    try:
        client = _connect(upstream, timeout)
    except (OSError, smtplib.SMTPException) as error:
        raise RelayError(f"error connecting to {upstream.address}: {_why(error)}") from None
    try:
        _log_in(client, upstream)
        return _transact(client, upstream, sender, recipients, data)
    except smtplib.SMTPResponseException as error:
        reply = _reply(error.smtp_code, error.smtp_error)
        raise RelayError(f"{upstream.address} answered {reply}", reply=reply) from None
    except (OSError, smtplib.SMTPException) as error:
        raise RelayError(f"sending to {upstream.address} failed: {_why(error)}") from None
    finally:
        _close(client)


def _connect(upstream: Upstream, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if upstream.allow_insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    client: smtplib.SMTP
    if upstream.tls:
        client = smtplib.SMTP_SSL(upstream.host, upstream.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(upstream.host, upstream.port, timeout=timeout)
    try:
        client.ehlo_or_helo_if_needed()  # smtplib's mail() does not greet by itself
        if upstream.starttls:
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
            client.starttls(context=context)
            client.ehlo()
    except BaseException:
        _close(client)
        raise
    return client


def _check_login_is_private(upstream: Upstream) -> None:
    # Before connecting: a refused login must not cost a look-up or a connection.
    encrypted = upstream.tls or upstream.starttls
    if upstream.auth in ("plain", "login") and not encrypted and not _is_local(upstream.host):
        raise RelayError(
            f"refusing to send the {upstream.auth.upper()} password in clear text to "
            f"{upstream.address}; set starttls: true or tls: true (or use cram-md5)"
        )


def _log_in(client: smtplib.SMTP, upstream: Upstream) -> None:
    if upstream.auth == "none":
        return
    client.user = upstream.username
    if upstream.auth == "cram-md5":
        client.password = upstream.secret
        client.auth("CRAM-MD5", client.auth_cram_md5)
    elif upstream.auth == "plain":
        client.password = upstream.password
        client.auth("PLAIN", client.auth_plain)
    else:
        client.password = upstream.password
        client.auth("LOGIN", client.auth_login, initial_response_ok=False)


def _transact(
    client: smtplib.SMTP, upstream: Upstream, sender: str, recipients: Sequence[str], data: bytes
) -> tuple[Refusal, ...]:
    options = _mail_options(client, [sender, *recipients], data)
    code, text = client.mail(sender, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, text, sender)
    refused: list[Refusal] = []
    for address in recipients:
        code, text = client.rcpt(address)
        if code in (250, 251):
            continue
        if upstream.forward_smtp_errors:
            raise smtplib.SMTPResponseException(code, text)
        refusal = Refusal(address, _reply(code, text))
        logger.warning("relay: %s refused <%s>: %s", upstream.address, address, refusal.reply)
        refused.append(refusal)
    if len(refused) == len(recipients):
        client.rset()
        last = refused[-1].reply if refused else "no recipients"
        raise RelayError(f"{upstream.address} refused every recipient: {last}", reply=last)
    code, text = client.data(data)
    if code != 250:
        raise smtplib.SMTPDataError(code, text)
    return tuple(refused)


def _mail_options(client: smtplib.SMTP, addresses: list[str], data: bytes) -> list[str]:
    options = []
    if not all(address.isascii() for address in addresses):
        if not client.has_extn("smtputf8"):
            raise RelayError("the upstream does not accept non-ASCII addresses (no SMTPUTF8)")
        options.append("SMTPUTF8")
    if not data.isascii() and client.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    return options


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}".strip()


def _why(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()
