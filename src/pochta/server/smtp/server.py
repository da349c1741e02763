"""pochta's SMTP server: listen, hand each connection a session, shut down without loss.

Example::

    store = open_store("mail.db")
    server = await start_smtp_server(store.aadd, SMTPSettings(), host="127.0.0.1", port=1025)
    print(server.port)
    ...
    await server.aclose()

Connections are accepted by a :class:`~pochta.server.listener.Listener`,
which answers ``421`` even when no descriptor is left, with a listen queue of
twice ``max_connections``, 4096 at least (:func:`~pochta.server.descriptor.listen_backlog`),
so hundreds of clients connecting at once are each greeted or refused at once.

The other parts are listed in :mod:`pochta.server.smtp`.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from pochta.server.descriptor import listen_backlog
from pochta.server.listener import Listener, listening_socket
from pochta.server.smtp import reply as replies
from pochta.server.smtp.session import SMTPSession
from pochta.server.smtp.settings import Deliver, SMTPSettings

__all__ = ["Deliver", "SMTPServer", "SMTPSettings", "start_smtp_server"]

logger = logging.getLogger(__name__)


class SMTPServer:
    """A listening SMTP server; made by :func:`start_smtp_server`, ended by :meth:`aclose`."""

    def __init__(self, server: Listener, sessions: set[SMTPSession]) -> None:
        self._server = server
        self._sessions = sessions
        host, port = server.sockets[0].getsockname()[:2]
        self._address = (str(host), int(port))

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening sockets (none once closed)."""
        return tuple(self._server.sockets)

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) actually bound; with port 0 this holds the port chosen."""
        return self._address

    @property
    def port(self) -> int:
        """The port actually bound."""
        return self.address[1]

    @property
    def session_count(self) -> int:
        """Sessions connected now."""
        return len(self._sessions)

    async def aclose(self, *, grace: float = 5.0) -> None:
        """Stop accepting, let messages in flight finish, then close every session.

        Idle sessions get ``421`` at once. A session in the middle of DATA has
        ``grace`` seconds to finish its message (which is then stored and
        acknowledged as usual) before it gets ``421``. A message already being
        stored gets another ``grace`` seconds to be committed and acknowledged;
        a connection still open after that is reset, unacknowledged. So nothing
        acknowledged is ever lost.
        """
        self._server.close()
        for session in list(self._sessions):
            session.shut_down()
        await self._wait_for_sessions(grace)
        for session in list(self._sessions):
            session.abort_message()
        pending = {session.task for session in self._sessions if session.task is not None}
        if pending:
            await asyncio.wait(pending, timeout=grace)
        await self._wait_for_sessions(grace)
        for session in list(self._sessions):
            session.abort()
        await self._server.wait_closed()

    async def _wait_for_sessions(self, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while self._sessions and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)


async def start_smtp_server(
    deliver: Deliver, settings: SMTPSettings, *, host: str, port: int
) -> SMTPServer:
    """Listen on ``host:port`` (port 0: any free port) and serve SMTP into ``deliver``.

    ``deliver`` stores one message and returns its id once it is durably
    committed (``Store.aadd`` fits); only then does the client get ``250``.
    Raises :class:`OSError` when the address cannot be bound.
    """
    sessions: set[SMTPSession] = set()
    backlog = listen_backlog(settings.max_connections)
    sock = listening_socket(host, port, backlog=backlog)
    listener = Listener(
        sock,
        lambda: SMTPSession(deliver, settings, sessions),
        refusal=replies.TOO_MANY_CONNECTIONS,
        backlog=backlog,
    )
    listener.start()
    smtp_server = SMTPServer(listener, sessions)
    logger.info("SMTP server listening on %s:%d", *smtp_server.address)
    return smtp_server
