"""What an SMTP server says to each command: the conversation's state, without any I/O.

:class:`Conversation` takes one command line at a time, appends its replies
to :attr:`Conversation.replies` and returns what the connection must do next
(:class:`Next`). One short method per verb (RFC 5321 4.1.1, RFC 3207 STARTTLS,
RFC 4954 AUTH). The session in :mod:`pochta.server.smtp.session` does the
reading, writing, storing and TLS.
"""

from __future__ import annotations

import enum
import re

from pochta.message.envelope import Envelope
from pochta.server.smtp import reply as replies
from pochta.server.smtp.auth import MECHANISMS, Authenticator, AuthExchange
from pochta.server.smtp.chaos import Action
from pochta.server.smtp.command import CommandError, MailFrom, parse_helo, parse_mail, parse_rcpt
from pochta.server.smtp.framing import Oversize
from pochta.server.smtp.settings import SMTPSettings

__all__ = ["Conversation", "Next"]

_VERBS = frozenset(
    {"EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "HELP"}
    | {"AUTH", "STARTTLS"}
)
_NEED_TLS = frozenset({"MAIL", "RCPT", "DATA", "AUTH"})
_NEED_AUTH = frozenset({"MAIL", "RCPT", "DATA"})
# Unknown or malformed commands and failed logins count towards max_bad_commands;
# 503s do not: one refused MAIL in a pipeline makes every later command a 503.
_BAD_CODES = (b"500", b"501", b"535")
# Verbs that ask chaos at their own stage; every other one asks the "any" rules.
_CHAOS_VERBS = frozenset({"MAIL", "RCPT", "DATA", "AUTH"})


class Next(enum.Enum):
    """What the connection does after a command."""

    READ = "read the next command"
    DATA = "read a message body (354 was sent)"
    STARTTLS = "forget unread bytes and start the TLS handshake (220 was sent)"
    CLOSE = "send the replies, then close"


class Conversation:
    """The state of one SMTP conversation: greeting name, login, TLS and the open transaction."""

    def __init__(self, settings: SMTPSettings, peer: str) -> None:
        self.replies: list[bytes] = []
        """Replies not yet written, in order."""
        self.bad_commands = 0
        self.tls = False
        self._settings = settings
        self._peer = peer
        self._authenticator = Authenticator(settings.auth_accept_any, settings.auth_credentials)
        self._long_line = _long_line_pattern(settings.max_line_length)
        self._helo: str | None = None
        self._auth_user: str | None = None
        self._auth: AuthExchange | None = None
        self._mail: MailFrom | None = None
        self._rcpts: list[str] = []
        self._dropped = 0  # recipients refused, answered 250 (ignore_rejected_recipients)
        self._chaos = settings.chaos
        self._data_chaos = Action()
        self.delay = 0.0
        """Chaos: seconds the session waits before writing the replies just made."""
        self.drop = False
        """Chaos: the session closes the connection instead of writing the replies."""
        self.drop_in_data = False
        """Chaos: the session closes the connection as soon as body bytes arrive."""

    def handle(self, line: bytes | Oversize) -> Next:
        """Answer one command line (CRLF removed) or an over-long line."""
        try:
            if line is Oversize.LINE:
                self._auth = None
                raise CommandError(replies.LINE_TOO_LONG)
            assert isinstance(line, bytes)
            if self._auth is not None:
                self._continue_auth(line)
                return Next.READ
            return self._dispatch(line) or Next.READ
        except CommandError as refusal:
            return self._refuse(refusal.reply)

    def finish_message(self, body: bytes | Oversize) -> Envelope | None:
        """End the transaction; return the envelope to store ``body`` with, or None if refused.

        No ``Received:`` header is added (Mailpit adds none either): the
        bytes are stored exactly as sent and the envelope carries the trace
        (client address, HELO name, TLS, login).
        """
        mail, rcpts, chaos = self._mail, tuple(self._rcpts), self._data_chaos
        self._reset_transaction()
        assert mail is not None
        self.delay = chaos.delay
        if chaos.reply is not None:
            self.replies.append(chaos.reply)
            return None
        if body is Oversize.MESSAGE:
            self.replies.append(replies.too_big(self._settings.max_message_size))
            return None
        assert isinstance(body, bytes)
        if not rcpts:  # every recipient was refused quietly: accept, keep nothing (Mailpit)
            self.replies.append(replies.OK_QUEUED)
            return None
        if self._long_line is not None and self._long_line.search(body):
            self.replies.append(replies.LINE_TOO_LONG)
            return None
        return Envelope(
            mail_from=mail.address,
            rcpt_tos=rcpts,
            client_address=self._peer,
            helo=self._helo or "",
            tls=self.tls,
            auth_user=self._auth_user,
            mail_options=mail.options,
        )

    def tls_started(self) -> None:
        """Forget everything the client said before TLS (RFC 3207 4.2)."""
        self.tls = True
        self._helo = self._auth_user = None
        self._reset_transaction()

    def _dispatch(self, line: bytes) -> Next | None:
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
        if verb in _NEED_TLS and self._settings.require_starttls and not self.tls:
            raise CommandError(replies.MUST_STARTTLS)
        if verb in _NEED_AUTH and self._settings.auth_required and self._auth_user is None:
            raise CommandError(replies.AUTH_REQUIRED)
        if self._chaos is not None and verb not in _CHAOS_VERBS:
            self._follow_chaos(self._chaos.on_any())
        next_step: Next | None = getattr(self, "_verb_" + verb.lower())(arg)
        return next_step

    def _refuse(self, reply: bytes) -> Next:
        if reply.startswith(_BAD_CODES):
            self.bad_commands += 1
            if self.bad_commands >= self._settings.max_bad_commands:
                self.replies.append(replies.TOO_MANY_ERRORS)
                return Next.CLOSE
        self.replies.append(reply)
        return Next.READ

    def _reset_transaction(self) -> None:
        self._mail = None
        self._rcpts = []
        self._dropped = 0
        self._data_chaos = Action()
        self.drop_in_data = False

    def take_chaos(self) -> tuple[float, bool]:
        """Return and forget what chaos asked of the replies just made: (delay, drop)."""
        asked = (self.delay, self.drop)
        self.delay, self.drop = 0.0, False
        return asked

    def _follow_chaos(self, action: Action) -> None:
        self.delay = max(self.delay, action.delay)
        self.drop = self.drop or action.close
        if action.reply is not None:
            raise CommandError(action.reply)

    # -- the verbs -------------------------------------------------------------

    def _verb_ehlo(self, arg: str) -> None:
        self._greeted(parse_helo(arg))
        settings = self._settings
        keywords = [f"SIZE {settings.max_message_size}", "8BITMIME", "SMTPUTF8"]
        keywords += ["PIPELINING", "ENHANCEDSTATUSCODES"]
        if settings.tls_context is not None and not self.tls:
            keywords.append("STARTTLS")
        if settings.auth_enabled and (self.tls or not settings.require_starttls):
            keywords.append("AUTH " + " ".join(MECHANISMS))
        self.replies.append(replies.ehlo_reply(settings.hostname, keywords))

    def _verb_helo(self, arg: str) -> None:
        self._greeted(parse_helo(arg))
        self.replies.append(replies.helo_reply(self._settings.hostname))

    def _greeted(self, name: str) -> None:
        self._helo = name
        self._reset_transaction()

    def _verb_mail(self, arg: str) -> None:
        if self._helo is None:
            raise CommandError(replies.NEED_HELO)
        if self._mail is not None:
            raise CommandError(replies.NESTED_MAIL)
        mail = parse_mail(arg, max_size=self._settings.max_message_size)
        if self._chaos is not None:
            self._follow_chaos(self._chaos.on_mail(mail.address))
        self._mail = mail
        self.replies.append(replies.OK_MAIL)

    def _verb_rcpt(self, arg: str) -> None:
        if self._mail is None:
            raise CommandError(replies.NEED_MAIL)
        rcpt = parse_rcpt(arg, smtputf8=self._mail.smtputf8)
        if self._chaos is not None:  # Mailpit asks chaos before the recipient limit
            self._follow_chaos(self._chaos.on_rcpt(self._mail.address, rcpt))
        if len(self._rcpts) + self._dropped >= self._settings.max_recipients:
            raise CommandError(replies.TOO_MANY_RECIPIENTS)
        allowed = self._settings.allowed_recipients
        if allowed is not None and not allowed.search(rcpt):
            if self._settings.on_rejected is not None:
                self._settings.on_rejected()
            if not self._settings.ignore_rejected_recipients:
                raise CommandError(replies.RECIPIENT_REFUSED)
            self._dropped += 1
        else:
            self._rcpts.append(rcpt)
        self.replies.append(replies.OK_RCPT)

    def _verb_data(self, arg: str) -> Next:
        if arg.strip():
            raise CommandError(replies.SYNTAX_ARGS)
        if self._mail is None:
            raise CommandError(replies.NEED_MAIL)
        if not self._rcpts and not self._dropped:
            raise CommandError(replies.NEED_RCPT)
        if self._chaos is not None:
            self._data_chaos = self._chaos.on_data(self._mail.address, self._rcpts)
            self.drop_in_data = self._data_chaos.close
        self.replies.append(replies.DATA_GO_AHEAD)
        return Next.DATA

    def _verb_rset(self, arg: str) -> None:
        if arg.strip():
            raise CommandError(replies.SYNTAX_ARGS)
        self._reset_transaction()
        self.replies.append(replies.OK_RESET)

    def _verb_noop(self, arg: str) -> None:
        self.replies.append(replies.OK_NOOP)

    def _verb_vrfy(self, arg: str) -> None:
        if not arg.strip():
            raise CommandError(replies.SYNTAX_ARGS)
        self.replies.append(replies.VRFY_CANNOT)

    def _verb_help(self, arg: str) -> None:
        self.replies.append(replies.HELP)

    def _verb_quit(self, arg: str) -> Next:
        self.replies.append(replies.BYE)
        return Next.CLOSE

    def _verb_starttls(self, arg: str) -> Next:
        if arg.strip():
            raise CommandError(replies.SYNTAX_ARGS)
        if self.tls:
            raise CommandError(replies.TLS_ALREADY)
        if self._settings.tls_context is None:
            raise CommandError(replies.TLS_NOT_AVAILABLE)
        self._reset_transaction()
        self.replies.append(replies.READY_TLS)
        return Next.STARTTLS

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
        if self._chaos is not None and mechanism.upper() in MECHANISMS:
            self._follow_chaos(self._chaos.on_auth())
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
            self.replies.append(result)
        elif self._authenticator.check(result):
            self._auth_user = result.user
            self.replies.append(replies.AUTH_OK)
        else:
            raise CommandError(replies.AUTH_FAILED)


def _long_line_pattern(limit: int) -> re.Pattern[bytes] | None:
    if limit <= 0:
        return None
    # Anchored at line starts, so the scan stays linear. A line of ``limit``
    # octets with its CRLF has limit - 1 octets before the LF; one more is too long.
    return re.compile(rb"^[^\n]{%d}" % limit, re.MULTILINE)
