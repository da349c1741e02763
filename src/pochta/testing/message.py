"""One captured message as a test sees it: addresses, bodies, attachments, links and codes.

A :class:`Message` comes from a :class:`~pochta.testing.mailbox.Mailbox`; its
list fields (subject, addresses, snippet) arrive with it, and its bodies,
headers and attachments are fetched from the catcher the first time they are
read. Field names follow Django's ``EmailMessage`` (``subject``, ``from_email``,
``to``, ``cc``, ``bcc``, ``body``), so assertions read alike on ``mailoutbox``
and on a real catcher::

    message = mailbox.wait_for(to="ann@example.com", subject="Reset")
    assert message.from_email == "noreply@example.com"
    page.goto(message.link("/reset/"))
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pochta.exceptions import MailAssertionError
from pochta.message.link import find_links, html_text

__all__ = ["DEFAULT_CODE", "Attachment", "Message", "pick_code", "pick_link"]

JSON = dict[str, Any]

#: What :meth:`Message.code` looks for by default: a word of 4 to 8 digits.
DEFAULT_CODE = r"\b\d{4,8}\b"

_URL = re.compile(r"""(?:https?://|mailto:)[^\s<>"'`]+""", re.I)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to (or shown inline in) a message; :meth:`content` downloads it."""

    message_id: str
    part_id: str
    filename: str
    content_type: str
    content_id: str
    size: int
    fetch: Callable[[str, str], bytes] = field(repr=False, compare=False)

    def content(self) -> bytes:
        """Return the attachment's decoded bytes."""
        return self.fetch(self.message_id, self.part_id)


def _address(data: JSON | None) -> str:
    return str(data["Address"]) if data else ""


def _matches(pattern: str | re.Pattern[str], link: str) -> bool:
    if isinstance(pattern, re.Pattern):
        return pattern.search(link) is not None
    if pattern in link:
        return True
    try:
        return re.search(pattern, link) is not None
    except re.error:
        return False


def _listing(items: list[str]) -> str:
    return "".join(f"\n  {item}" for item in items) if items else " (none)"


def pick_link(links: list[str], pattern: str | re.Pattern[str], where: str) -> str:
    """Return the one link matching ``pattern``; raise :class:`MailAssertionError` otherwise.

    A string matches a link that contains it, or that it finds as a regular
    expression; a compiled pattern is searched. Links are de-duplicated first.
    """
    found = [link for link in dict.fromkeys(links) if _matches(pattern, link)]
    if len(found) == 1:
        return found[0]
    shown = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    if not found:
        raise MailAssertionError(
            f"no link in {where} matches '{shown}'; its links:{_listing(links)}"
        )
    raise MailAssertionError(
        f"{len(found)} links in {where} match '{shown}'; give a pattern that picks one:"
        f"{_listing(found)}"
    )


def pick_code(text: str, pattern: str | re.Pattern[str], where: str) -> str:
    """Return the one code ``pattern`` finds in ``text`` (its first group, if it has one).

    Links are removed from ``text`` first, so digits inside URLs never count.
    Raise :class:`MailAssertionError` when none or several different codes are found.
    """
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    searched = _URL.sub(" ", text)
    codes = list(
        dict.fromkeys(m.group(1) if regex.groups else m.group(0) for m in regex.finditer(searched))
    )
    if len(codes) == 1:
        return codes[0]
    if not codes:
        start = " ".join(searched.split())[:200]
        raise MailAssertionError(
            f"no code matching '{regex.pattern}' in {where}; its text begins: {start!r}"
        )
    raise MailAssertionError(
        f"{len(codes)} different codes in {where} match '{regex.pattern}': {', '.join(codes)}; "
        r"give a pattern with the words around the code, e.g. r'code is (\d+)'"
    )


class Message:
    """A captured message; bodies and attachments load from the catcher on first use."""

    def __init__(
        self,
        data: JSON,
        load: Callable[[str], JSON],
        fetch: Callable[[str, str], bytes],
        headers: Callable[[str], dict[str, list[str]]],
    ) -> None:
        """Wrap a ``MessageSummary`` or ``Message`` from the API (done by :class:`Mailbox`)."""
        self.id: str = data["ID"]
        self.message_id: str = data.get("MessageID", "")
        self.subject: str = data.get("Subject", "")
        self.from_email: str = _address(data.get("From"))
        self.to: list[str] = [_address(a) for a in data.get("To") or []]
        self.cc: list[str] = [_address(a) for a in data.get("Cc") or []]
        self.bcc: list[str] = [_address(a) for a in data.get("Bcc") or []]
        self.reply_to: list[str] = [_address(a) for a in data.get("ReplyTo") or []]
        self.tags: list[str] = list(data.get("Tags") or [])
        self.size: int = data.get("Size", 0)
        self._snippet: str | None = data.get("Snippet")
        created = data.get("Created") or data.get("Date")
        self.created: datetime | None = datetime.fromisoformat(created) if created else None
        self._full: JSON | None = data if "Text" in data else None
        self._load = load
        self._fetch = fetch
        self._get_headers = headers
        self._headers: dict[str, list[str]] | None = None

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.subject!r} from {self.from_email} to {self.to}>"

    @property
    def full(self) -> JSON:
        """Return the API's whole ``Message`` (fetched once; reading it marks it read)."""
        if self._full is None:
            self._full = self._load(self.id)
        return self._full

    @property
    def snippet(self) -> str:
        """Return the start of the text, as the message list shows it."""
        if self._snippet is None:
            body = self.text if self.text.strip() else html_text(self.html)
            self._snippet = " ".join(body[:16_000].split())[:250]
        return self._snippet

    @property
    def text(self) -> str:
        """Return the text/plain body ("" if the message has none)."""
        return str(self.full.get("Text", ""))

    @property
    def body(self) -> str:
        """Return the text body, under the name Django's ``EmailMessage`` uses."""
        return self.text

    @property
    def html(self) -> str:
        """Return the HTML body ("" if the message has none)."""
        return str(self.full.get("HTML", ""))

    @property
    def headers(self) -> dict[str, list[str]]:
        """Return every header as ``{name: [values...]}``."""
        if self._headers is None:
            self._headers = self._get_headers(self.id)
        return self._headers

    def header(self, name: str) -> str:
        """Return the first value of header ``name`` (any case), or "" if absent."""
        for key, values in self.headers.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return ""

    def _files(self, key: str) -> list[Attachment]:
        return [
            Attachment(
                self.id,
                a["PartID"],
                a.get("FileName", ""),
                a.get("ContentType", ""),
                a.get("ContentID", ""),
                a.get("Size", 0),
                self._fetch,
            )
            for a in self.full.get(key) or []
        ]

    @property
    def attachments(self) -> list[Attachment]:
        """Return the attached files."""
        return self._files("Attachments")

    @property
    def inline(self) -> list[Attachment]:
        """Return the inline parts (images the HTML shows)."""
        return self._files("Inline")

    @property
    def links(self) -> list[str]:
        """Return every http(s) and mailto link in the bodies, in order, without repeats."""
        return list(find_links(self.text, self.html))

    def link(self, pattern: str | re.Pattern[str]) -> str:
        """Return the one link matching ``pattern`` (a substring or a regular expression).

        ::

            reset_url = message.link("/reset/")
        """
        return pick_link(self.links, pattern, f"message {self.subject!r}")

    def code(self, pattern: str | re.Pattern[str] = DEFAULT_CODE) -> str:
        """Return the one-time code in the subject or body: by default 4 to 8 digits.

        ::

            assert message.code() == "123456"          # "Your code is 123456"
            message.code(r"code: ([A-Z0-9]{6})")       # the first group is returned
        """
        body = self.text if self.text.strip() else html_text(self.html)
        return pick_code(f"{self.subject}\n{body}", pattern, f"message {self.subject!r}")
