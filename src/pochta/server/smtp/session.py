"""One SMTP connection: an :class:`asyncio.Protocol` that reads, writes, stores and starts TLS.

Bytes go into a :class:`~pochta.server.smtp.framing.Framer`; complete command
lines go to the :class:`~pochta.server.smtp.conversation.Conversation`, which
answers them in order, so PIPELINING (RFC 2920) needs no special case.
Replies made while handling one buffer are written together. While a message
is being stored, bytes that arrive are only buffered; past
``UNREAD_LIMIT`` of them (or when the client does not read our replies)
reading is paused, so a slow store slows the client down instead of filling
memory. A fast store costs no pause/resume system calls per message.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Coroutine
from typing import Any, cast

from pochta.exceptions import RelayError, StoreError, StoreFullError
from pochta.message.envelope import Envelope
from pochta.server.smtp import reply as replies
from pochta.server.smtp.chaos import Action
from pochta.server.smtp.conversation import Conversation, Next
from pochta.server.smtp.framing import Framer
from pochta.server.smtp.settings import AUTH_LINE_LENGTH, Deliver, SMTPSettings

__all__ = ["UNREAD_LIMIT", "SMTPSession"]

logger = logging.getLogger(__name__)

UNREAD_LIMIT = 64 * 1024
"""Bytes buffered while a message is being stored before reading is paused."""


class SMTPSession(asyncio.Protocol):
    """Serve one client connection; created by the server for each one."""

    def __init__(
        self, deliver: Deliver, settings: SMTPSettings, sessions: set[SMTPSession]
    ) -> None:
        self._deliver = deliver
        self._settings = settings
        self._sessions = sessions
        longest = max(settings.command_limit("MAIL"), AUTH_LINE_LENGTH)
        self._framer = Framer(max_line=longest, max_message=settings.max_message_size)
        self._conversation = Conversation(settings, peer="")
        self._out = self._conversation.replies
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._peer = ""
        self._in_data = False
        self._task: asyncio.Task[None] | None = None  # storing a message or starting TLS
        self._starting_tls = False  # STARTTLS answered, handshake not begun: drop input
        self._handshaking = False  # input now comes decrypted from the TLS layer: keep it
        self._write_paused = False
        self._reading_paused = False
        self._closing = False
        self._eof = False
        self._stored = 0
        self._started = self._last_seen = self._loop.time()
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ---------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Greet the client, or turn it away when too many are connected."""
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) else str(peer or "")
        self._conversation = Conversation(self._settings, self._peer)
        self._out = self._conversation.replies
        if len(self._sessions) >= self._settings.max_connections:
            self._transport.write(replies.TOO_MANY_CONNECTIONS)
            self._transport.close()
            return
        self._sessions.add(self)
        self._timer = self._loop.call_later(self._settings.idle_timeout, self._on_timer)
        chaos = self._settings.chaos
        action = chaos.on_connect() if chaos is not None else None
        if action:
            self._chaos_greeting(action)
            return
        self._transport.write(replies.greeting(self._settings.hostname))

    def data_received(self, data: bytes) -> None:
        """Take bytes from the client and answer every complete command in them."""
        self._last_seen = self._loop.time()
        if self._starting_tls:
            return  # CVE-2024-34083: plaintext sent before the handshake must not count
        self._framer.feed(data)
        if self._task is None:
            self._process()
        elif len(self._framer) > UNREAD_LIMIT and not self._handshaking:
            self._update_reading()

    def eof_received(self) -> bool:
        """Answer what is still buffered (``printf ... | nc`` half-closes), then close."""
        self._eof = True
        if self._task is None:
            self._process()
        # asyncio's TLS transport cannot stay half-open, and warns when asked to.
        return not self._conversation.tls

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
                self._conversation.bad_commands,
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

    def shut_down(self) -> None:
        """Say 421 and close now if idle, else right after the current message."""
        self._closing = True
        if self._task is None and not self._in_data:
            self._close_with(replies.SHUTTING_DOWN)

    def abort_message(self) -> None:
        """Give up on a message still being received: 421 and close (it was never acked)."""
        if self._task is None:
            self._close_with(replies.SHUTTING_DOWN)

    def abort(self) -> None:
        """Reset the connection at once, whatever it is doing."""
        if self._transport is not None:
            self._transport.abort()

    # -- reading ------------------------------------------------------------

    def _process(self) -> None:
        framer, conversation = self._framer, self._conversation
        while self._task is None and not self._write_paused and not self._is_closed():
            if self._in_data:
                # Chaos: drop the connection once body bytes came (after begin_data's 2).
                if conversation.drop_in_data and len(framer) > 2:
                    self.abort()
                    return
                body = framer.read_message()
                if body is None:
                    break
                self._in_data = False
                held = len(self._out)
                envelope = conversation.finish_message(body)
                delay, _ = conversation.take_chaos()
                if envelope is not None:
                    assert isinstance(body, bytes)
                    self._start(self._store(body, envelope, delay))
                elif delay:
                    self._hold(held, delay, Next.READ)
            elif self._closing:
                self._close_with(replies.SHUTTING_DOWN)
                return
            else:
                line = framer.read_line()
                if line is None:
                    break
                held = len(self._out)
                next_step = conversation.handle(line)
                delay, drop = conversation.take_chaos()
                if drop:
                    del self._out[held:]
                    self._flush()
                    self.abort()
                    return
                if delay:
                    self._hold(held, delay, next_step)
                else:
                    self._follow(next_step)
        if self._eof and self._task is None and not self._write_paused:
            self._close()  # nothing more will come; an unfinished command is dropped
        self._flush()

    def _follow(self, next_step: Next) -> None:
        if next_step is Next.DATA:
            self._in_data = True
            self._framer.begin_data()
        elif next_step is Next.STARTTLS:
            context = self._settings.tls_context
            assert context is not None
            self._framer.clear()  # CVE-2024-34083: nothing sent in plaintext may run after TLS
            self._starting_tls = True
            self._start(self._start_tls(context))
        elif next_step is Next.CLOSE:
            self._close()

    # -- writing ------------------------------------------------------------

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
        busy = self._task is not None and len(self._framer) > UNREAD_LIMIT
        pause = busy or self._write_paused
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

    # -- storing and TLS -----------------------------------------------------

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        self._flush()
        self._task = self._loop.create_task(work)
        self._update_reading()

    def _finish(self) -> None:
        self._task = None
        self._update_reading()
        self._process()

    async def _store(self, raw: bytes, envelope: Envelope, delay: float = 0.0) -> None:
        if delay:  # chaos: a slow server
            await asyncio.sleep(delay)
        # RFC 5321 6.1: 250 only once the message is safely stored.
        try:
            message_id = await self._deliver(raw, envelope)
        except StoreFullError:
            self._out.append(replies.STORE_FULL)
        except RelayError as error:  # forward-smtp-errors: the upstream's refusal, verbatim
            logger.warning("SMTP: a message from %s was refused upstream: %s", self._peer, error)
            self._out.append(replies.upstream_reply(error.reply))
        except StoreError as error:  # e.g. PostgreSQL is away: 451, the client retries later
            logger.warning("SMTP: a message from %s was not stored: %s", self._peer, error)
            self._out.append(replies.LOCAL_ERROR)
        except Exception:
            logger.exception("SMTP: storing a message from %s failed", self._peer)
            self._out.append(replies.LOCAL_ERROR)
        else:
            self._stored += 1
            self._out.append(replies.stored(message_id))
        self._finish()

    # -- chaos --------------------------------------------------------------------

    def _chaos_greeting(self, action: Action) -> None:
        if action.close:
            self.abort()
            return
        greeting = action.reply or replies.greeting(self._settings.hostname)
        after = Next.CLOSE if action.reply is not None else Next.READ
        self._start(self._delayed(action.delay, [greeting], after))

    def _hold(self, held: int, delay: float, next_step: Next) -> None:
        """Write the replies from index ``held`` on after ``delay`` seconds, then go on."""
        later = self._out[held:]
        del self._out[held:]
        self._start(self._delayed(delay, later, next_step))

    async def _delayed(
        self, delay: float, later: list[bytes], next_step: Next = Next.READ
    ) -> None:
        await asyncio.sleep(delay)
        self._out.extend(later)
        self._task = None
        self._follow(next_step)
        if self._task is None:
            self._finish()

    async def _start_tls(self, context: ssl.SSLContext) -> None:
        assert self._transport is not None
        # start_tls pauses the plain transport before it yields, so from here on
        # data_received only sees what the TLS layer decrypted. A client's first
        # command may come with its last handshake bytes and be handed over
        # before this coroutine resumes: it is kept, not dropped with the plaintext.
        self._starting_tls, self._handshaking = False, True
        try:
            transport = await self._loop.start_tls(
                self._transport, self, context, server_side=True
            )
        except (TimeoutError, OSError, ssl.SSLError):
            logger.debug("SMTP: TLS handshake with %s failed", self._peer, exc_info=True)
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
