"""``pochta serve``'s settings turned into a running POP3 server over the store."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from pochta.config import HostPort, Settings
from pochta.exceptions import ConfigurationError, ServeError
from pochta.server.htpasswd import load_htpasswd
from pochta.server.pop3.login import Logins
from pochta.server.pop3.maildrop import store_maildrops
from pochta.server.pop3.server import POP3Server, start_pop3_server
from pochta.server.pop3.settings import POP3Settings
from pochta.server.tls import load_or_create_tls_context
from pochta.store import Store

__all__ = ["pop3_address", "pop3_settings", "start_pop3"]


def pop3_settings(settings: Settings, *, state_dir: Path) -> POP3Settings:
    """Translate ``pochta serve``'s settings into the POP3 server's.

    A certificate alone makes the port POP3S (TLS from the first byte, as
    Mailpit); ``--pop3-stls`` offers STLS instead, with a self-signed pair
    made in ``state_dir`` when no certificate is given.
    """
    tls_context = None
    if settings.pop3_tls_cert is not None or settings.pop3_stls:
        tls_context = load_or_create_tls_context(
            settings.pop3_tls_cert, settings.pop3_tls_key, state_dir
        )
    credentials = None
    if settings.pop3_auth_file is not None:
        credentials = load_htpasswd(settings.pop3_auth_file, flag="--pop3-auth-file")
    return POP3Settings(
        hostname=socket.gethostname() or "pochta",
        logins=Logins(credentials),
        tls_context=tls_context,
        stls=settings.pop3_stls,
    )


async def start_pop3(store: Store, settings: Settings, *, state_dir: Path) -> POP3Server | None:
    """Start POP3 over ``store`` if the settings ask for it, or raise :class:`ServeError`."""
    address = settings.pop3_address
    if address is None:
        return None
    try:
        config = pop3_settings(settings, state_dir=state_dir)
    except ConfigurationError as error:
        raise ServeError(str(error)) from None
    try:
        return await start_pop3_server(
            store_maildrops(store, by_login=settings.mailbox_login),
            config,
            host=address.host,
            port=address.port,
        )
    except OSError as error:
        hint = (
            "stop the program using it, or give --pop3 with another port (0 picks a free one)"
            if error.errno == errno.EADDRINUSE
            else "give --pop3 with an address of this machine"
        )
        number = error.errno  # asyncio rewords the bind error; the errno is the plain reason
        reason = os.strerror(number) if isinstance(number, int) and number > 0 else str(error)
        raise ServeError(f"cannot listen on {address} for POP3: {reason}; {hint}") from None


def pop3_address(server: POP3Server) -> HostPort:
    """Return the address ``server`` is bound to."""
    host, port = server.address
    return HostPort(host, port)
