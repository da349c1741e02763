"""One POP3 connection: the :class:`asyncio.Protocol` that reads, writes and starts TLS.

Bytes go into a :class:`~pochta.server.smtp.framing.Framer` (the same line
cutter as SMTP's: CRLF-ended lines, over-long ones dropped as they arrive);
each line goes to the :class:`~pochta.server.pop3.conversation.Conversation`,
in order, so pipelined commands (RFC 2449 6.6) need no special case. The
maildrop's methods block, so they run on a worker thread; meanwhile further
bytes are only buffered, and past ``UNREAD_LIMIT`` reading pauses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import ssl
from collections.abc import Coroutine
from typing import Any, cast

from pochta.server.pop3 import reply as replies
from pochta.server.pop3.conversation import Action, Conversation, Fetch, Next, Open, Update
from pochta.server.pop3.login import LoginGuard
from pochta.server.pop3.maildrop import Maildrop, MaildropFor
from pochta.server.pop3.settings import POP3Settings
from pochta.server.pop3.wire import top, wire_lines
from pochta.server.smtp.framing import Framer

__all__ = ["UNREAD_LIMIT", "POP3Session"]

logger = logging.getLogger(__name__)

UNREAD_LIMIT = 64 * 1024
"""Bytes buffered while the maildrop is busy before reading is paused."""


class POP3Session(asyncio.Protocol):
    """Serve one client connection; created by the server for each one."""

    def __init__(
        self,
        maildrops: MaildropFor,
        settings: POP3Settings,
        guard: LoginGuard,
        sessions: set[POP3Session],
    ) -> None:
        self._maildrops = maildrops
        self._settings = settings
        self._guard = guard
        self._sessions = sessions
        self._framer = Framer(max_line=settings.max_line_length - 2, max_message=0)
        self._loop = asyncio.get_running_loop()
        self._conversation = Conversation(settings, guard, peer="", banner="")
        self._out = self._conversation.replies
        self._transport: asyncio.Transport | None = None
        self._peer = ""
        self._maildrop: Maildrop | None = None
        self._task: asyncio.Task[None] | None = None
        self._starting_tls = self._write_paused = self._reading_paused = False
        self._handshaking = False  # input now comes decrypted from the TLS layer: keep it
        self._closing = self._eof = False
        self._last_seen = self._loop.time()
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ---------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Greet the client with an APOP timestamp, or turn it away when too many are here."""
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) else str(peer or "")
        # RFC 1939 7: the timestamp differs for every greeting.
        banner = f"<{os.getpid()}.{secrets.token_hex(8)}@{self._settings.hostname}>"
        self._conversation = Conversation(
            self._settings, self._guard, peer=self._peer, banner=banner
        )
        self._out = self._conversation.replies
        if len(self._sessions) >= self._settings.max_connections:
            self._transport.write(replies.TOO_MANY_CONNECTIONS)
            self._transport.close()
            return
        self._sessions.add(self)
        self._transport.write(replies.greeting(banner))
        self._timer = self._loop.call_later(self._settings.idle_timeout, self._on_timer)

    def data_received(self, data: bytes) -> None:
        """Take bytes from the client and answer every complete command in them."""
        self._last_seen = self._loop.time()
        if self._starting_tls:
            return  # as SMTP's CVE-2024-34083: nothing sent before the handshake may count
        self._framer.feed(data)
        if self._task is None:
            self._process()
        elif not self._handshaking:
            self._update_reading()

    def eof_received(self) -> bool:
        """Answer what is still buffered, then close (a half-close ends the session)."""
        self._eof = True
        if self._task is None:
            self._process()
        return not self._conversation.tls  # asyncio's TLS transport cannot stay half-open

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the session; without QUIT nothing was deleted."""
        if self._timer is not None:
            self._timer.cancel()
        if self in self._sessions:
            self._sessions.discard(self)
            logger.debug(
                "POP3 session from %s (%s) closed%s",
                self._peer,
                self._conversation.user or "not logged in",
                f" ({exc})" if exc else "",
            )

    def pause_writing(self) -> None:
        """Stop reading while the client does not read what we send."""
        self._write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        """Read again once the client has caught up."""
        self._write_paused = False
        self._update_reading()
        if self._task is None:
            self._process()

    # -- the server's handle on a session -----------------------------------

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The maildrop request (or TLS start) in progress, if any."""
        return self._task

    def shut_down(self) -> None:
        """Say goodbye and close now if idle, else once the maildrop has answered."""
        self._closing = True
        if self._task is None:
            self._close_with(replies.SHUTTING_DOWN)

    def abort(self) -> None:
        """Reset the connection at once, whatever it is doing."""
        if self._transport is not None:
            self._transport.abort()

    # -- reading and writing ---------------------------------------------------

    def _process(self) -> None:
        while self._task is None and not self._write_paused and not self._is_closed():
            if self._closing:
                self._close_with(replies.SHUTTING_DOWN)
                return
            line = self._framer.read_line()
            if line is None:
                break
            self._follow(self._conversation.handle(line))
        if self._eof and self._task is None and not self._write_paused:
            self._close()
        self._flush()

    def _follow(self, action: Action) -> None:
        if action is Next.CLOSE:
            self._close()
        elif action is Next.STLS:
            assert self._settings.tls_context is not None
            self._framer.clear()  # nothing sent in plain text may run after TLS
            self._starting_tls = True
            self._start(self._start_tls(self._settings.tls_context))
        elif isinstance(action, Open):
            self._start(self._open(action))
        elif isinstance(action, Fetch):
            self._start(self._fetch(action))
        elif isinstance(action, Update):
            self._start(self._update(action))

    def _flush(self) -> None:
        if self._out and not self._is_closed():
            assert self._transport is not None
            self._transport.write(b"".join(self._out))
        self._out.clear()

    def _close_with(self, reply: bytes) -> None:
        self._out.append(reply)
        self._close()

    def _close(self) -> None:
        self._flush()
        if self._transport is not None:
            self._transport.close()

    def _is_closed(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    def _update_reading(self) -> None:
        pause = (self._task is not None and len(self._framer) > UNREAD_LIMIT) or self._write_paused
        if pause != self._reading_paused and not self._is_closed():
            assert self._transport is not None
            if pause:
                self._transport.pause_reading()
            else:
                self._transport.resume_reading()
            self._reading_paused = pause

    def _on_timer(self) -> None:
        # One timer, re-armed from the last byte seen (as the SMTP session).
        timeout = self._settings.idle_timeout
        idle = self._loop.time() - self._last_seen
        if self._task is not None or idle < timeout:
            wait = timeout if self._task is not None else timeout - idle
            self._timer = self._loop.call_later(wait, self._on_timer)
        elif not self._is_closed():
            self._close_with(replies.TIMEOUT)  # RFC 1939 3: no UPDATE state on a timeout

    # -- the maildrop and TLS ----------------------------------------------------

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        self._flush()
        self._task = self._loop.create_task(work)
        self._update_reading()

    def _finish(self, next_step: Next = Next.READ) -> None:
        self._task = None
        self._update_reading()
        if next_step is Next.CLOSE:
            self._close()
        else:
            self._process()

    async def _open(self, request: Open) -> None:
        try:
            maildrop = self._maildrops(request.user)
            entries = await asyncio.to_thread(maildrop.listing)
        except Exception:
            logger.exception("POP3: opening the maildrop of %r failed", request.user)
            self._finish(self._conversation.opened(request.user, None))
            return
        self._maildrop = maildrop
        self._finish(self._conversation.opened(request.user, entries))

    async def _fetch(self, request: Fetch) -> None:
        assert self._maildrop is not None
        try:
            lines = await asyncio.to_thread(_render, self._maildrop, request)
        except Exception:
            logger.exception("POP3: reading message %s failed", request.id)
            lines = None
        self._conversation.fetched(request, lines)
        self._finish()

    async def _update(self, request: Update) -> None:
        assert self._maildrop is not None
        try:
            deleted: int | None = await asyncio.to_thread(self._maildrop.delete, request.ids)
        except Exception:
            logger.exception("POP3: deleting %d messages failed", len(request.ids))
            deleted = None
        self._finish(self._conversation.updated(deleted))

    async def _start_tls(self, context: ssl.SSLContext) -> None:
        assert self._transport is not None
        # As SMTP's: start_tls pauses the plain transport before it yields, so
        # what data_received gets from here on was decrypted, and is kept.
        self._starting_tls, self._handshaking = False, True
        try:
            transport = await self._loop.start_tls(
                self._transport, self, context, server_side=True
            )
        except (TimeoutError, OSError, ssl.SSLError):
            logger.debug("POP3: TLS handshake with %s failed", self._peer, exc_info=True)
            self._transport.abort()
            return
        finally:
            self._handshaking = False
        if transport is None:
            return
        self._transport = transport
        self._reading_paused = False  # start_tls resumed reading on the new transport
        self._conversation.tls_started()
        self._finish()


def _render(maildrop: Maildrop, request: Fetch) -> bytes | None:
    raw = maildrop.raw(request.id)
    if raw is None:
        return None
    return wire_lines(raw) if request.lines is None else top(raw, request.lines)
