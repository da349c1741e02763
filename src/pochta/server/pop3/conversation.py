"""What a POP3 server says to each command: the state of one session, without any I/O.

:class:`Conversation` takes one command line at a time (RFC 1939, with CAPA
from RFC 2449 and STLS from RFC 2595), appends its replies to
:attr:`Conversation.replies` and returns what the session must do next: read
on, start TLS, close, or one of three requests to the maildrop (:class:`Open`
after a good login, :class:`Fetch` for RETR and TOP, :class:`Update` for
QUIT), whose results the session hands back through :meth:`~Conversation.opened`,
:meth:`~Conversation.fetched` and :meth:`~Conversation.updated`.

Deletion happens only in the UPDATE state, after QUIT: ``DELE`` marks, ``RSET``
unmarks, and a connection that drops without QUIT deletes nothing. A marked
message is gone for the rest of the session (RFC 1939 5; Mailpit still lists it).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from pochta.server.pop3 import reply as replies
from pochta.server.pop3.login import LoginGuard
from pochta.server.pop3.maildrop import Entry
from pochta.server.pop3.settings import POP3Settings
from pochta.server.smtp.framing import Oversize

__all__ = ["Action", "Conversation", "Fetch", "Next", "Open", "Update"]

_AUTHORIZATION = frozenset({"USER", "PASS", "APOP", "STLS"})
_TRANSACTION = frozenset({"STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "RSET", "NOOP"})
_VERBS = _AUTHORIZATION | _TRANSACTION | {"QUIT", "CAPA"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NUMBER = re.compile(r"[0-9]{1,9}")
_DIGEST = re.compile(r"[0-9A-Fa-f]{32}")


class Next(enum.Enum):
    """What the session does after a command, when the maildrop is not needed."""

    READ = "read the next command"
    STLS = "forget unread bytes and start the TLS handshake (+OK was sent)"
    CLOSE = "send the replies, then close"


@dataclass(frozen=True, slots=True)
class Open:
    """Open the maildrop of ``user`` (a login succeeded), then call :meth:`Conversation.opened`."""

    user: str


@dataclass(frozen=True, slots=True)
class Fetch:
    """Read message ``id`` (number ``number``), then call :meth:`Conversation.fetched`.

    ``lines`` is TOP's count of body lines; None for RETR (the whole message).
    """

    number: int
    id: str
    lines: int | None


@dataclass(frozen=True, slots=True)
class Update:
    """Delete ``ids`` (QUIT entered the UPDATE state), then call :meth:`Conversation.updated`."""

    ids: tuple[str, ...]


Action = Next | Open | Fetch | Update
"""What :meth:`Conversation.handle` asks the session to do."""


class _Refusal(Exception):
    def __init__(self, reply: bytes, *, bad: bool = True) -> None:
        self.reply = reply
        self.bad = bad  # counts towards max_bad_commands


class Conversation:
    """The state of one POP3 session: TLS, the login under way, the maildrop and its marks."""

    def __init__(
        self, settings: POP3Settings, guard: LoginGuard, *, peer: str, banner: str
    ) -> None:
        self.replies: list[bytes] = []
        """Replies not yet written, in order."""
        self.bad_commands = 0
        self.tls = settings.implicit_tls
        self.user: str | None = None
        """The login name once the TRANSACTION state is reached."""
        self._settings = settings
        self._guard = guard
        self._peer = peer
        self._banner = banner
        self._named: str | None = None  # USER given, PASS awaited
        self._failures = 0
        self._entries: list[Entry] = []
        self._marked: set[int] = set()

    def handle(self, line: bytes | Oversize) -> Action:
        """Answer one command line (CRLF removed) or an over-long line."""
        try:
            if line is Oversize.LINE:
                raise _Refusal(replies.LINE_TOO_LONG)
            assert isinstance(line, bytes)
            return self._dispatch(line)
        except _Refusal as refusal:
            return self._refuse(refusal.reply, bad=refusal.bad)

    def opened(self, user: str, entries: list[Entry] | None) -> Next:
        """Enter the TRANSACTION state with ``entries`` (None: the maildrop could not be read)."""
        if entries is None:
            self.replies.append(replies.OPEN_FAILED)
            return Next.CLOSE
        self.user, self._entries = user, entries
        self.replies.append(replies.maildrop(user, *self._totals()))
        return Next.READ

    def fetched(self, fetch: Fetch, lines: bytes | None) -> None:
        """Answer RETR or TOP with ``lines`` (on the wire already; None: the message is gone)."""
        if lines is None:
            self.replies.append(replies.gone(fetch.number))
            return
        size = self._entries[fetch.number - 1].size
        first = replies.fetched(size) if fetch.lines is None else replies.ok("top of message")
        self.replies += [first, lines, replies.END]

    def updated(self, deleted: int | None) -> Next:
        """Answer QUIT once the UPDATE state deleted ``deleted`` messages (None: it failed)."""
        failed = deleted is None
        self.replies.append(replies.UPDATE_FAILED if failed else replies.signing_off(deleted or 0))
        return Next.CLOSE

    def tls_started(self) -> None:
        """Forget what the client said before TLS (RFC 2595 4)."""
        self.tls = True
        self._named = None

    def _dispatch(self, line: bytes) -> Action:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refusal(replies.syntax("commands are UTF-8 text")) from None
        if _CONTROL.search(text):
            raise _Refusal(replies.syntax("no control characters in a command"))
        verb, _, arg = text.partition(" ")
        verb = verb.upper()
        if verb not in _VERBS:
            raise _Refusal(replies.UNKNOWN_COMMAND)
        if verb in _TRANSACTION and self.user is None:
            raise _Refusal(replies.LOGIN_FIRST, bad=False)
        if verb in _AUTHORIZATION and self.user is not None:
            raise _Refusal(replies.NOT_AFTER_LOGIN, bad=False)
        action: Action | None = getattr(self, "_verb_" + verb.lower())(arg)
        return action or Next.READ

    def _refuse(self, reply: bytes, *, bad: bool) -> Next:
        if bad:
            self.bad_commands += 1
            if self.bad_commands >= self._settings.max_bad_commands:
                self.replies.append(replies.TOO_MANY_ERRORS)
                return Next.CLOSE
        self.replies.append(reply)
        return Next.READ

    # -- the AUTHORIZATION state --------------------------------------------------

    def _verb_user(self, arg: str) -> None:
        if not arg:
            raise _Refusal(replies.syntax("USER name"))
        self._may_log_in()
        self._named = arg
        self.replies.append(replies.USER_OK)

    def _verb_pass(self, arg: str) -> Action:
        # RFC 1939 7: the one argument may hold spaces; all of it is the password.
        if self._named is None:
            raise _Refusal(replies.NEED_USER, bad=False)
        self._may_log_in()
        user, self._named = self._named, None
        return self._login(user, self._settings.logins.check_password(user, arg))

    def _verb_apop(self, arg: str) -> Action:
        user, _, digest = arg.rpartition(" ")
        if not user or not _DIGEST.fullmatch(digest):
            raise _Refusal(replies.syntax("APOP name digest (32 hexadecimal digits)"))
        self._may_log_in()
        self._named = None
        return self._login(user, self._settings.logins.check_apop(user, self._banner, digest))

    def _may_log_in(self) -> None:
        if self._settings.stls and not self.tls:
            raise _Refusal(replies.STLS_FIRST, bad=False)
        left = self._guard.locked_for(self._peer)
        if left:
            raise _Refusal(replies.locked(left), bad=False)

    def _login(self, user: str, good: bool) -> Action:
        if good:
            self._guard.succeeded(self._peer)
            return Open(user)
        self._guard.failed(self._peer)
        self._failures += 1
        if self._failures >= self._settings.max_session_failures:
            self.replies.append(replies.TOO_MANY_FAILURES)
            return Next.CLOSE
        raise _Refusal(replies.AUTH_FAILED, bad=False)

    def _verb_stls(self, arg: str) -> Next:
        if self.tls:
            raise _Refusal(replies.STLS_ALREADY, bad=False)
        if not self._settings.stls:
            raise _Refusal(replies.STLS_NOT_AVAILABLE, bad=False)
        self.replies.append(replies.STLS_GO_AHEAD)
        return Next.STLS

    # -- any state ------------------------------------------------------------------

    def _verb_capa(self, arg: str) -> None:
        plain_first = self._settings.stls and not self.tls
        names = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]
        names += ["STLS"] if plain_first else ["USER"]
        names.append("IMPLEMENTATION pochta")
        self.replies += [replies.CAPA_HEAD, *(f"{n}\r\n".encode() for n in names), replies.END]

    def _verb_quit(self, arg: str) -> Action:
        if self.user is None or not self._marked:
            self.replies.append(replies.BYE)
            return Next.CLOSE
        return Update(tuple(self._entries[n - 1].id for n in sorted(self._marked)))

    # -- the TRANSACTION state ------------------------------------------------------

    def _verb_stat(self, arg: str) -> None:
        if arg:
            raise _Refusal(replies.syntax("STAT"))
        count, octets = self._totals()
        self.replies.append(replies.ok(f"{count} {octets}"))

    def _verb_list(self, arg: str) -> None:
        if arg:
            number = self._number(arg)
            self.replies.append(replies.ok(f"{number} {self._entries[number - 1].size}"))
            return
        lines = [f"{n} {entry.size}\r\n".encode() for n, entry in self._live()]
        count, octets = self._totals()
        self.replies += [replies.ok(f"{count} messages ({octets} octets)"), *lines, replies.END]

    def _verb_uidl(self, arg: str) -> None:
        if arg:
            number = self._number(arg)
            self.replies.append(replies.ok(f"{number} {self._entries[number - 1].id}"))
            return
        lines = [f"{n} {entry.id}\r\n".encode() for n, entry in self._live()]
        self.replies += [replies.ok("unique-id listing follows"), *lines, replies.END]

    def _verb_retr(self, arg: str) -> Fetch:
        number = self._number(arg)
        return Fetch(number, self._entries[number - 1].id, None)

    def _verb_top(self, arg: str) -> Fetch:
        message, _, count = arg.partition(" ")
        if not _NUMBER.fullmatch(count):
            raise _Refusal(replies.syntax("TOP message-number lines"))
        number = self._number(message)
        return Fetch(number, self._entries[number - 1].id, int(count))

    def _verb_dele(self, arg: str) -> None:
        number = self._number(arg)
        self._marked.add(number)
        self.replies.append(replies.ok(f"message {number} deleted"))

    def _verb_rset(self, arg: str) -> None:
        self._marked.clear()
        assert self.user is not None
        self.replies.append(replies.maildrop(self.user, *self._totals()))

    def _verb_noop(self, arg: str) -> None:
        self.replies.append(replies.NOOP)

    def _number(self, text: str) -> int:
        if not _NUMBER.fullmatch(text) or int(text) < 1:
            raise _Refusal(replies.SYNTAX_MESSAGE_NUMBER)
        number = int(text)
        if number > len(self._entries):
            raise _Refusal(replies.NO_SUCH_MESSAGE, bad=False)
        if number in self._marked:
            raise _Refusal(replies.ALREADY_DELETED, bad=False)
        return number

    def _live(self) -> list[tuple[int, Entry]]:
        return [(n, e) for n, e in enumerate(self._entries, 1) if n not in self._marked]

    def _totals(self) -> tuple[int, int]:
        live = self._live()
        return len(live), sum(entry.size for _, entry in live)
