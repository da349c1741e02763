"""``pochta serve``'s settings turned into a running SMTP server that delivers to the store."""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path

from pochta.config import HostPort, Settings
from pochta.exceptions import ConfigurationError, ServeError
from pochta.server.descriptor import default_max_connections
from pochta.server.smtp.auth import load_credentials
from pochta.server.smtp.chaos import Chaos
from pochta.server.smtp.rule import Rules, load_rules
from pochta.server.smtp.server import Deliver, SMTPServer, SMTPSettings, start_smtp_server
from pochta.server.smtp.trigger import Triggers, parse_triggers
from pochta.server.tls import load_or_create_tls_context
from pochta.store import Envelope, Store

__all__ = ["chaos_from_settings", "smtp_address", "smtp_settings", "start_smtp"]

logger = logging.getLogger(__name__)


def chaos_from_settings(settings: Settings) -> Chaos:
    """Build the catcher's chaos from ``--enable-chaos``, ``--chaos-triggers``, ``--chaos-rules``.

    Raises :class:`ServeError` naming the flag for a bad trigger or rules file.
    """
    triggers, rules = Triggers(), Rules()
    try:
        if settings.chaos_triggers is not None:
            triggers = parse_triggers(settings.chaos_triggers)
        if settings.chaos_rules is not None:
            rules = load_rules(settings.chaos_rules)
    except ConfigurationError as error:
        raise ServeError(f"[chaos] {error}") from None
    if settings.chaos_seed is not None:
        rules = Rules(seed=settings.chaos_seed, rules=rules.rules)
    enabled = settings.enable_chaos or settings.chaos_triggers is not None
    chaos = Chaos(enabled=enabled or settings.chaos_rules is not None, triggers=triggers)
    chaos.set_rules(rules)
    if chaos.enabled:
        logger.warning("chaos is on (seed %d): SMTP fails on purpose", chaos.seed)
    return chaos


def smtp_settings(
    settings: Settings, *, state_dir: Path, chaos: Chaos | None = None
) -> SMTPSettings:
    """Translate ``pochta serve``'s settings into the SMTP server's.

    STARTTLS is offered only when asked for (a certificate, or
    ``--smtp-require-starttls``, which makes a self-signed one in
    ``state_dir`` if none is given): clients that start TLS whenever it is
    offered would otherwise fail on a certificate they cannot verify.
    """
    tls_context = None
    if settings.smtp_tls_cert is not None or settings.smtp_require_starttls:
        tls_context = load_or_create_tls_context(
            settings.smtp_tls_cert, settings.smtp_tls_key, state_dir
        )
    credentials = None
    if settings.smtp_auth_file is not None:
        credentials = load_credentials(settings.smtp_auth_file)
    return SMTPSettings(
        hostname=socket.gethostname() or "pochta",
        max_message_size=settings.max_message_size,
        max_recipients=settings.smtp_max_recipients,
        max_connections=settings.smtp_max_connections or default_max_connections(),
        max_bad_commands=settings.smtp_max_bad_commands,
        tls_context=tls_context,
        require_starttls=settings.smtp_require_starttls,
        auth_accept_any=settings.smtp_auth_accept_any,
        auth_credentials=credentials,
        allowed_recipients=(
            re.compile(settings.smtp_allowed_recipients)
            if settings.smtp_allowed_recipients
            else None
        ),
        ignore_rejected_recipients=settings.smtp_ignore_rejected_recipients,
        chaos=chaos,
    )


async def start_smtp(
    store: Store,
    settings: Settings,
    *,
    state_dir: Path,
    deliver: Deliver | None = None,
    chaos: Chaos | None = None,
    on_rejected: Callable[[], None] | None = None,
) -> SMTPServer:
    """Start SMTP on ``settings.smtp`` delivering into ``store``, or raise :class:`ServeError`.

    ``deliver`` replaces the plain ``store.aadd`` (e.g. a
    :class:`~pochta.server.pipeline.Pipeline`'s ``adeliver``); ``chaos`` is
    shared with the API (:func:`chaos_from_settings`); ``on_rejected`` hears
    of each recipient the allowlist refuses.
    """
    try:
        config = dataclasses.replace(
            smtp_settings(settings, state_dir=state_dir, chaos=chaos), on_rejected=on_rejected
        )
    except ConfigurationError as error:
        raise ServeError(str(error)) from None
    address = settings.smtp
    try:
        return await start_smtp_server(
            deliver or _logging_deliver(store), config, host=address.host, port=address.port
        )
    except OSError as error:
        hint = (
            "stop the program using it, or give --smtp with another port (0 picks a free one)"
            if error.errno == errno.EADDRINUSE
            else "give --smtp with an address of this machine"
        )
        # asyncio rewords the bind error; the errno is the plain reason
        number = error.errno
        reason = (
            os.strerror(number)
            if isinstance(number, int) and number > 0
            else error.strerror or str(error)
        )
        raise ServeError(f"cannot listen on {address} for SMTP: {reason}; {hint}") from None


def _logging_deliver(store: Store) -> Deliver:
    async def deliver(raw: bytes, envelope: Envelope) -> str:
        message_id = await store.aadd(raw, envelope)
        logger.info(
            "stored %s: %d bytes from <%s> to %d recipient(s), client %s",
            message_id,
            len(raw),
            envelope.mail_from,
            len(envelope.rcpt_tos),
            envelope.client_address or "?",
        )
        return message_id

    return deliver


def smtp_address(server: SMTPServer) -> HostPort:
    """Return the address ``server`` is bound to."""
    host, port = server.address
    return HostPort(host, port)
