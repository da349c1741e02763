"""Mailboxes: the named parts of one store, and the rules that choose a message's mailbox.

Each message lands in exactly one mailbox, chosen by :meth:`Routing.mailbox_for`:

1. with ``--mailbox-login``, the SMTP login name of the client that sent it;
2. else the first ``--mailbox-rule PATTERN=MAILBOX`` (in the order given)
   whose pattern matches one of its envelope recipients;
3. else :data:`DEFAULT_MAILBOX`.

A pattern is a shell-style glob over the whole recipient address, without
regard to case (``ci-*@example.test``, ``*@staging.example.com``,
``alice+*@example.test``). MAILBOX is a name, or ``{plus}`` (the recipient's
plus tag: ``dev+alice@example.test`` goes to ``alice``) or ``{local}`` (its
local part without the tag: one mailbox per person). A rule whose template
gives no usable name (no plus tag) does not apply, and the next one is tried.

A store's ``mailbox(name)`` is the same store limited to one mailbox: it
lists, searches, changes and announces only that mailbox's messages and adds
new ones there. A mailbox exists once it holds a message. A name is 1 to 128
lower-case letters, digits, ``.``, ``_``, ``-``, ``+`` or ``@``, starting with
a letter or digit, so that it is one segment of the URL ``/mailbox/NAME/``;
a login or local part is lower-cased, and any other character becomes ``-``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pochta.exceptions import ConfigurationError
from pochta.message.envelope import Envelope
from pochta.store.record import StoreEvent

__all__ = [
    "DEFAULT_MAILBOX",
    "MailboxCount",
    "MailboxGrant",
    "MailboxGrants",
    "MailboxRule",
    "Routing",
    "check_mailbox",
    "events_by_mailbox",
    "is_mailbox_name",
    "list_mailboxes",
    "mailbox_name_of",
]

#: The mailbox of every message no rule sends elsewhere; the root of the inbox shows it.
DEFAULT_MAILBOX = "default"
_NAME = re.compile(r"[a-z0-9][a-z0-9._+@-]{0,127}")
_UNFIT = re.compile(r"[^a-z0-9._+@-]")
_TEMPLATES = ("{plus}", "{local}")


@dataclass(frozen=True, slots=True)
class MailboxCount:
    """One mailbox and how many messages it holds (``total``), ``unread`` among them."""

    name: str
    total: int
    unread: int


def list_mailboxes(counts: Iterable[tuple[str, int, int]]) -> list[MailboxCount]:
    """Return ``(name, total, unread)`` rows as ``mailboxes()`` does, the default one first.

    The others follow by name; the default mailbox is there even when it never held a message.
    """
    found = {name: MailboxCount(name, total, unread) for name, total, unread in counts}
    found.setdefault(DEFAULT_MAILBOX, MailboxCount(DEFAULT_MAILBOX, 0, 0))
    return sorted(found.values(), key=lambda m: (m.name != DEFAULT_MAILBOX, m.name))


def is_mailbox_name(text: str) -> bool:
    """Tell whether ``text`` can name a mailbox."""
    return _NAME.fullmatch(text) is not None


def check_mailbox(name: str) -> str:
    """Return ``name`` if it can name a mailbox, else raise ConfigurationError saying why."""
    if not is_mailbox_name(name):
        raise ConfigurationError(
            f"mailbox name {name!r} is not 1 to 128 lower-case letters, digits, '.', '_', "
            "'-', '+' or '@' starting with a letter or digit; give e.g. ci or alice"
        )
    return name


def events_by_mailbox(kind: str, touched: Iterable[tuple[str, str]]) -> list[StoreEvent]:
    """Return one ``kind`` event per mailbox for the ``(id, mailbox)`` pairs a change touched."""
    grouped: dict[str, list[str]] = {}
    for id, mailbox in touched:
        grouped.setdefault(mailbox, []).append(id)
    return [StoreEvent(kind, tuple(ids), mailbox=name) for name, ids in grouped.items()]


def mailbox_name_of(text: str) -> str | None:
    """Return the mailbox a login or address part names (lower-cased, tidied), or None."""
    name = _UNFIT.sub("-", text.strip().lower())[:128]
    return name if is_mailbox_name(name) else None


@dataclass(frozen=True, slots=True)
class MailboxRule:
    """``PATTERN=MAILBOX``: recipients matching the glob go to the mailbox (or template)."""

    pattern: str
    mailbox: str

    @classmethod
    def parse(cls, text: str, *, name: str = "--mailbox-rule") -> MailboxRule:
        """Read ``PATTERN=MAILBOX``; ConfigurationError with the fix if it is not one."""
        pattern, equals, mailbox = text.strip().rpartition("=")
        pattern, mailbox = pattern.strip(), mailbox.strip().lower()
        if not equals or not pattern:
            raise ConfigurationError(
                f"{name} {text!r} is not PATTERN=MAILBOX; give e.g. 'ci-*@example.test=ci'"
            )
        if mailbox not in _TEMPLATES and not is_mailbox_name(mailbox):
            raise ConfigurationError(
                f"{name} {text!r}: {mailbox!r} is no mailbox name; give a name like ci "
                "(lower-case letters, digits, . _ - + @), {plus} or {local}"
            )
        return cls(pattern, mailbox)

    def __str__(self) -> str:
        return f"{self.pattern}={self.mailbox}"

    def mailbox_for(self, recipient: str) -> str | None:
        """Return the mailbox of ``recipient`` if this rule applies to it, else None."""
        address = recipient.strip().lower()
        if not fnmatch.fnmatchcase(address, self.pattern.lower()):
            return None
        local = address.rpartition("@")[0] or address
        person, plus, tag = local.partition("+")
        if self.mailbox == "{plus}":
            return mailbox_name_of(tag) if plus and tag else None
        if self.mailbox == "{local}":
            return mailbox_name_of(person)
        return self.mailbox


@dataclass(frozen=True, slots=True)
class Routing:
    """How ``pochta serve`` chooses each message's mailbox (see the module's list)."""

    rules: Sequence[MailboxRule] = ()
    by_login: bool = False

    @property
    def routes(self) -> bool:
        """Tell whether any message can land elsewhere than in the default mailbox."""
        return bool(self.rules) or self.by_login

    def mailbox_for(self, envelope: Envelope) -> str:
        """Return the mailbox a message with ``envelope`` lands in."""
        if self.by_login and envelope.auth_user:
            login = mailbox_name_of(envelope.auth_user)
            if login is not None:
                return login
        for rule in self.rules:
            for recipient in envelope.rcpt_tos:
                found = rule.mailbox_for(recipient)
                if found is not None:
                    return found
        return DEFAULT_MAILBOX


@dataclass(frozen=True, slots=True)
class MailboxGrant:
    """``LOGIN=NAME[,NAME...]``: the mailboxes one inbox login may open.

    LOGIN ``*`` stands for every login not granted otherwise; NAME ``{login}``
    for the mailbox named after the login (``*={login}``: each login its own).
    """

    login: str
    mailboxes: frozenset[str]

    @classmethod
    def parse(cls, text: str, *, name: str = "--ui-mailbox") -> MailboxGrant:
        """Read ``LOGIN=NAME[,NAME...]``; ConfigurationError with the fix if it is not one."""
        login, equals, names = text.strip().partition("=")
        boxes = frozenset(n.strip().lower() for n in names.split(",") if n.strip())
        if not equals or not login.strip() or not boxes:
            raise ConfigurationError(
                f"{name} {text!r} is not LOGIN=MAILBOX[,MAILBOX]; give e.g. alice=alice,ci "
                "or '*={login}'"
            )
        for box in boxes:
            if box != "{login}" and not is_mailbox_name(box):
                raise ConfigurationError(f"{name} {text!r}: {box!r} is no mailbox name")
        return cls(login.strip(), boxes)


@dataclass(frozen=True, slots=True)
class MailboxGrants:
    """The :class:`MailboxGrant` list of ``pochta serve``; no grants: every login opens all."""

    grants: Sequence[MailboxGrant] = ()

    def mailboxes_of(self, login: str) -> frozenset[str] | None:
        """Return the mailboxes ``login`` may open, or None when it may open every one."""
        found = next((g for g in self.grants if g.login == login), None)
        found = found or next((g for g in self.grants if g.login == "*"), None)
        if found is None:
            return None
        own = mailbox_name_of(login)
        boxes = {own if box == "{login}" else box for box in found.mailboxes}
        return frozenset(box for box in boxes if box is not None)

    def allows(self, login: str | None, mailbox: str) -> bool:
        """Tell whether ``login`` (None: nobody logged in, no login asked) may open ``mailbox``."""
        if login is None:
            return True
        allowed = self.mailboxes_of(login)
        return allowed is None or mailbox in allowed
