"""One SMTP conversation: an :class:`asyncio.Protocol` with one short method per verb.

Bytes go into a :class:`~pochta.server.smtp_framing.Framer`; complete command
lines and message bodies come out and are answered in order, so PIPELINING
(RFC 2920) needs no special case. Replies made while handling one buffer are
written together. While a message is being stored, or TLS is starting,
reading is paused: a slow store slows the client down instead of filling memory.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Coroutine
from typing import Any, cast

from pochta.exceptions import StoreFullError
from pochta.server import smtp_replies as replies
from pochta.server.smtp_auth import MECHANISMS, Authenticator, AuthExchange
from pochta.server.smtp_framing import Framer, Oversize
from pochta.server.smtp_parse import CommandError, MailFrom, parse_helo, parse_mail, parse_rcpt
from pochta.server.smtp_settings import AUTH_LINE_LENGTH, Deliver, SMTPSettings
from pochta.store.envelope import Envelope

__all__ = ["SMTPSession"]

logger = logging.getLogger(__name__)

_VERBS = frozenset(
    {"EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "HELP"}
    | {"AUTH", "STARTTLS"}
)
_NEED_TLS = frozenset({"MAIL", "RCPT", "DATA", "AUTH"})
_NEED_AUTH = frozenset({"MAIL", "RCPT", "DATA"})
_BAD_CODES = (b"500", b"501", b"535")


class SMTPSession(asyncio.Protocol):
    """Serve one client connection; created by the server for each one."""

    def __init__(
        self, deliver: Deliver, settings: SMTPSettings, sessions: set[SMTPSession]
    ) -> None:
        self._deliver = deliver
        self._settings = settings
        self._sessions = sessions
        self._authenticator = Authenticator(settings.auth_accept_any, settings.auth_credentials)
        longest = max(settings.command_limit("MAIL"), AUTH_LINE_LENGTH)
        self._framer = Framer(max_line=longest, max_message=settings.max_message_size)
        self._long_line = _long_line_pattern(settings.max_line_length)
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._out: list[bytes] = []
        self._peer = ""
        self._tls = False
        self._helo: str | None = None
        self._auth_user: str | None = None
        self._auth: AuthExchange | None = None
        self._mail: MailFrom | None = None
        self._rcpts: list[str] = []
        self._in_data = False
        self._task: asyncio.Task[None] | None = None  # storing a message or starting TLS
        self._starting_tls = False
        self._write_paused = False
        self._reading_paused = False
        self._closing = False
        self._bad = 0
        self._stored = 0
        self._started = self._last_seen = self._loop.time()
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ---------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Greet the client, or turn it away when too many are connected."""
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) else str(peer or "")
        if len(self._sessions) >= self._settings.max_connections:
            self._transport.write(replies.TOO_MANY_CONNECTIONS)
            self._transport.close()
            return
        self._sessions.add(self)
        self._transport.write(replies.greeting(self._settings.hostname))
        self._timer = self._loop.call_later(self._settings.idle_timeout, self._on_timer)

    def data_received(self, data: bytes) -> None:
        """Take bytes from the client and answer every complete command in them."""
        self._last_seen = self._loop.time()
        if self._starting_tls:
            return  # CVE-2024-34083: plaintext sent before the handshake must not count
        self._framer.feed(data)
        if self._task is None:
            self._process()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the session and log its one line."""
        if self._timer is not None:
            self._timer.cancel()
        if self in self._sessions:
            self._sessions.discard(self)
            logger.debug(
                "SMTP session from %s closed: %d stored, %d bad commands, %.1f s%s",
                self._peer,
                self._stored,
                self._bad,
                self._loop.time() - self._started,
                f" ({exc})" if exc else "",
            )

    def pause_writing(self) -> None:
        """Stop reading while the client does not read our replies."""
        self._write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        """Read again once the client has caught up with our replies."""
        self._write_paused = False
        self._update_reading()
        if self._task is None:
            self._process()

    # -- the server's handle on a session -----------------------------------

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The message delivery (or TLS start) in progress, if any."""
        return self._task

    @property
    def in_data(self) -> bool:
        """True between the 354 reply and the end of the message."""
        return self._in_data

    def shut_down(self) -> None:
        """Say 421 and close now if idle, else right after the current message."""
        self._closing = True
        if self._task is None and not self._in_data:
            self._close_with(replies.SHUTTING_DOWN)

    def abort_message(self) -> None:
        """Give up on a message still being received: 421 and close (it was never acked)."""
        if self._task is None:
            self._close_with(replies.SHUTTING_DOWN)

    # -- reading ------------------------------------------------------------

    def _process(self) -> None:
        framer = self._framer
        while self._task is None and not self._write_paused and not self._is_closed():
            if self._in_data:
                body = framer.read_message()
                if body is None:
                    break
                self._end_data(body)
            elif self._closing:
                self._close_with(replies.SHUTTING_DOWN)
                return
            else:
                line = framer.read_line()
                if line is None:
                    break
                self._handle_line(line)
        self._flush()

    def _handle_line(self, line: bytes | Oversize) -> None:
        try:
            if line is Oversize.LINE:
                self._auth = None
                raise CommandError(replies.LINE_TOO_LONG)
            assert isinstance(line, bytes)
            if self._auth is not None:
                self._continue_auth(line)
            else:
                self._dispatch(line)
        except CommandError as refusal:
            self._refuse(refusal.reply)

    def _dispatch(self, line: bytes) -> None:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise CommandError(replies.SYNTAX_ERROR) from None
        verb, _, arg = text.partition(" ")
        verb = verb.upper()
        if verb not in _VERBS:
            raise CommandError(replies.UNKNOWN_COMMAND)
        if len(line) + 2 > self._settings.command_limit(verb):
            raise CommandError(replies.LINE_TOO_LONG)
        if verb in _NEED_TLS and self._settings.require_starttls and not self._tls:
            raise CommandError(replies.MUST_STARTTLS)
        if verb in _NEED_AUTH and self._settings.auth_required and self._auth_user is None:
            raise CommandError(replies.AUTH_REQUIRED)
        getattr(self, "_verb_" + verb.lower())(arg)

    # -- writing ------------------------------------------------------------

    def _reply(self, reply: bytes) -> None:
        self._out.append(reply)

    def _refuse(self, reply: bytes) -> None:
        if reply.startswith(_BAD_CODES):
            self._bad += 1
            if self._bad >= self._settings.max_bad_commands:
                self._close_with(replies.TOO_MANY_ERRORS)
                return
        self._reply(reply)

    def _flush(self) -> None:
        if self._out and not self._is_closed():
            assert self._transport is not None
            self._transport.write(b"".join(self._out))
        self._out.clear()

    def _close_with(self, reply: bytes) -> None:
        self._reply(reply)
        self._flush()
        if self._transport is not None:
            self._transport.close()

    def _is_closed(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    def _update_reading(self) -> None:
        pause = self._task is not None or self._write_paused
        if pause != self._reading_paused and not self._is_closed():
            assert self._transport is not None
            if pause:
                self._transport.pause_reading()
            else:
                self._transport.resume_reading()
            self._reading_paused = pause

    def _on_timer(self) -> None:
        # One timer per session, re-armed from the last byte seen, so traffic
        # costs a float store instead of a timer reschedule per data_received.
        timeout = self._settings.idle_timeout
        idle = self._loop.time() - self._last_seen
        if self._task is not None or idle < timeout:
            wait = timeout if self._task is not None else timeout - idle
            self._timer = self._loop.call_later(wait, self._on_timer)
        elif not self._is_closed():
            self._close_with(replies.TIMEOUT)

    # -- the verbs (RFC 5321 4.1.1) ------------------------------------------

    def _verb_ehlo(self, arg: str) -> None:
        self._greeted(parse_helo(arg))
        keywords = [f"SIZE {self._settings.max_message_size}", "8BITMIME", "SMTPUTF8"]
        keywords += ["PIPELINING", "ENHANCEDSTATUSCODES"]
        if self._settings.tls_context is not None and not self._tls:
            keywords.append("STARTTLS")
        if self._settings.auth_enabled and (self._tls or not self._settings.require_starttls):
            keywords.append("AUTH " + " ".join(MECHANISMS))
        self._reply(replies.ehlo_reply(self._settings.hostname, keywords))

    def _verb_helo(self, arg: str) -> None:
        self._greeted(parse_helo(arg))
        self._reply(replies.helo_reply(self._settings.hostname))

    def _greeted(self, name: str) -> None:
        self._helo = name
        self._reset_transaction()

    def _verb_mail(self, arg: str) -> None:
        if self._helo is None:
            raise CommandError(replies.NEED_HELO)
        if self._mail is not None:
            raise CommandError(replies.NESTED_MAIL)
        self._mail = parse_mail(arg, max_size=self._settings.max_message_size)
        self._reply(replies.OK_MAIL)

    def _verb_rcpt(self, arg: str) -> None:
        if self._mail is None:
            raise CommandError(replies.NEED_MAIL)
        if len(self._rcpts) >= self._settings.max_recipients:
            raise CommandError(replies.TOO_MANY_RECIPIENTS)
        self._rcpts.append(parse_rcpt(arg, smtputf8=self._mail.smtputf8))
        self._reply(replies.OK_RCPT)

    def _verb_data(self, arg: str) -> None:
        if arg.strip():
            raise CommandError(replies.SYNTAX_ARGS)
        if self._mail is None:
            raise CommandError(replies.NEED_MAIL)
        if not self._rcpts:
            raise CommandError(replies.NEED_RCPT)
        self._reply(replies.DATA_GO_AHEAD)
        self._in_data = True
        self._framer.begin_data()

    def _verb_rset(self, arg: str) -> None:
        if arg.strip():
            raise CommandError(replies.SYNTAX_ARGS)
        self._reset_transaction()
        self._reply(replies.OK_RESET)

    def _verb_noop(self, arg: str) -> None:
        self._reply(replies.OK_NOOP)

    def _verb_vrfy(self, arg: str) -> None:
        if not arg.strip():
            raise CommandError(replies.SYNTAX_ARGS)
        self._reply(replies.VRFY_CANNOT)

    def _verb_help(self, arg: str) -> None:
        self._reply(replies.HELP)

    def _verb_quit(self, arg: str) -> None:
        self._close_with(replies.BYE)

    def _verb_starttls(self, arg: str) -> None:
        context = self._settings.tls_context
        if arg.strip():
            raise CommandError(replies.SYNTAX_ARGS)
        if self._tls:
            raise CommandError(replies.TLS_ALREADY)
        if context is None:
            raise CommandError(replies.TLS_NOT_AVAILABLE)
        self._reply(replies.READY_TLS)
        self._flush()
        self._framer.clear()  # CVE-2024-34083: nothing sent in plaintext may run after TLS
        self._reset_transaction()
        self._starting_tls = True
        self._start(self._start_tls(context))

    def _verb_auth(self, arg: str) -> None:
        if not self._settings.auth_enabled:
            raise CommandError(replies.AUTH_NOT_AVAILABLE)
        if self._helo is None:
            raise CommandError(replies.NEED_HELO)
        if self._auth_user is not None:
            raise CommandError(replies.AUTH_ALREADY)
        if self._mail is not None:
            raise CommandError(replies.AUTH_IN_TRANSACTION)
        mechanism, _, initial = arg.strip().partition(" ")
        self._auth_step(AuthExchange(mechanism.upper()), initial.strip() or None)

    def _continue_auth(self, line: bytes) -> None:
        exchange, self._auth = self._auth, None
        assert exchange is not None
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            raise CommandError(replies.AUTH_BAD_BASE64) from None
        self._auth_step(exchange, text)

    def _auth_step(self, exchange: AuthExchange, response: str | None) -> None:
        result = exchange.step(response)
        if isinstance(result, bytes):
            self._auth = exchange
            self._reply(result)
        elif self._authenticator.check(result):
            self._auth_user = result.user
            self._reply(replies.AUTH_OK)
        else:
            raise CommandError(replies.AUTH_FAILED)

    # -- DATA's end, storing and TLS -----------------------------------------

    def _end_data(self, body: bytes | Oversize) -> None:
        self._in_data = False
        mail, rcpts = self._mail, tuple(self._rcpts)
        self._reset_transaction()
        assert mail is not None
        if body is Oversize.MESSAGE:
            self._reply(replies.TOO_BIG)
            return
        assert isinstance(body, bytes)
        if self._long_line is not None and self._long_line.search(body):
            self._reply(replies.LINE_TOO_LONG)
            return
        envelope = Envelope(
            mail_from=mail.address,
            rcpt_tos=rcpts,
            client_address=self._peer,
            helo=self._helo or "",
            tls=self._tls,
            auth_user=self._auth_user,
            mail_options=mail.options,
        )
        self._start(self._store(body, envelope))

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        self._flush()
        self._task = self._loop.create_task(work)
        self._update_reading()

    def _finish(self) -> None:
        self._task = None
        self._update_reading()
        self._process()

    async def _store(self, raw: bytes, envelope: Envelope) -> None:
        # RFC 5321 6.1: 250 only once the message is safely stored.
        try:
            message_id = await self._deliver(raw, envelope)
        except StoreFullError:
            self._reply(replies.STORE_FULL)
        except Exception:
            logger.exception("SMTP: storing a message from %s failed", self._peer)
            self._reply(replies.LOCAL_ERROR)
        else:
            self._stored += 1
            self._reply(replies.stored(message_id))
        self._finish()

    async def _start_tls(self, context: ssl.SSLContext) -> None:
        assert self._transport is not None
        try:
            transport = await self._loop.start_tls(
                self._transport, self, context, server_side=True
            )
        except (TimeoutError, OSError, ssl.SSLError):
            logger.debug("SMTP: TLS handshake with %s failed", self._peer, exc_info=True)
            self._transport.abort()
            return
        if transport is None:
            return
        self._transport = transport
        self._reading_paused = False  # start_tls resumed reading on the new transport
        self._starting_tls = False
        self._tls = True
        self._helo = self._auth_user = None  # RFC 3207 4.2: forget what came before
        self._framer.clear()
        self._finish()

    def _reset_transaction(self) -> None:
        self._mail = None
        self._rcpts = []


def _long_line_pattern(limit: int) -> re.Pattern[bytes] | None:
    if limit <= 0:
        return None
    # Anchored at line starts, so the scan stays linear. A line of ``limit``
    # octets with its CRLF has limit - 1 octets before the LF; one more is too long.
    return re.compile(rb"^[^\n]{%d}" % limit, re.MULTILINE)
