"""pochta's POP3 server: listen, hand each connection a session, shut down cleanly.

Example::

    store = open_store("mail.db")
    server = await start_pop3_server(store_maildrops(store), POP3Settings(),
                                     host="127.0.0.1", port=1110)
    print(server.port)
    ...
    await server.aclose()

The other parts are listed in :mod:`pochta.server.pop3`.
"""

from __future__ import annotations

import asyncio
import logging

from pochta.server.pop3.login import LoginGuard
from pochta.server.pop3.maildrop import MaildropFor
from pochta.server.pop3.session import POP3Session
from pochta.server.pop3.settings import POP3Settings

__all__ = ["POP3Server", "start_pop3_server"]

logger = logging.getLogger(__name__)


class POP3Server:
    """A listening POP3 server; made by :func:`start_pop3_server`, ended by :meth:`aclose`."""

    def __init__(
        self, server: asyncio.Server, sessions: set[POP3Session], *, implicit_tls: bool = False
    ) -> None:
        self._server = server
        self._sessions = sessions
        self.scheme = "pop3s" if implicit_tls else "pop3"
        """``pop3s`` when the port speaks TLS from the first byte, else ``pop3``."""

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) actually bound; with port 0 this holds the port chosen."""
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    @property
    def port(self) -> int:
        """The port actually bound."""
        return self.address[1]

    @property
    def session_count(self) -> int:
        """Sessions connected now."""
        return len(self._sessions)

    async def aclose(self, *, grace: float = 5.0) -> None:
        """Stop accepting, let maildrop work in flight finish, then close every session.

        Idle sessions are told ``-ERR [SYS/TEMP]`` and closed at once, without
        the UPDATE state: only a QUIT deletes. A QUIT already deleting gets
        ``grace`` seconds to finish and answer; anything left is then reset.
        """
        self._server.close()
        for session in list(self._sessions):
            session.shut_down()
        pending = {session.task for session in self._sessions if session.task is not None}
        if pending:
            await asyncio.wait(pending, timeout=grace)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while self._sessions and loop.time() < deadline:
            await asyncio.sleep(0.01)
        for session in list(self._sessions):
            session.abort()
        await self._server.wait_closed()


async def start_pop3_server(
    maildrops: MaildropFor,
    settings: POP3Settings,
    *,
    host: str,
    port: int,
    guard: LoginGuard | None = None,
) -> POP3Server:
    """Listen on ``host:port`` (port 0: any free port) and serve each login its maildrop.

    ``maildrops`` gives the maildrop of a login name
    (:func:`~pochta.server.pop3.maildrop.store_maildrops` serves a store);
    ``guard`` counts failed logins across sessions (a new one by default).
    With ``settings.implicit_tls`` the port speaks TLS from the first byte.
    Raises :class:`OSError` when the address cannot be bound.
    """
    sessions: set[POP3Session] = set()
    login_guard = guard or LoginGuard()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: POP3Session(maildrops, settings, login_guard, sessions),
        host=host,
        port=port,
        ssl=settings.tls_context if settings.implicit_tls else None,
    )
    pop3_server = POP3Server(server, sessions, implicit_tls=settings.implicit_tls)
    logger.info("%s server listening on %s:%d", pop3_server.scheme, *pop3_server.address)
    return pop3_server
