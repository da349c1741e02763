"""A synchronous client of a catcher's JSON API, for tests and scripts (pytest or not).

It speaks Mailpit's API v1 plus pochta's ``GET /api/v1/wait``, so
:meth:`Mailbox.wait_for` returns the moment a matching message is stored,
without polling::

    from pochta.testing import Mailbox

    with Mailbox("http://127.0.0.1:8025") as mailbox:
        trigger_password_reset("ann@example.com")
        message = mailbox.wait_for(to="ann@example.com", subject="Password reset")
        reset_url = message.link("/reset/")
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx

from pochta.exceptions import APIError, MailAssertionError, MessageNotFound
from pochta.testing.message import JSON, Message

__all__ = ["DEFAULT_TIMEOUT", "PRIVATE_DOMAIN", "Mailbox", "PrivateMailbox", "private_rule"]

#: Seconds :meth:`Mailbox.wait_for` waits when not told.
DEFAULT_TIMEOUT = 10.0
#: The mail domain of private mailboxes (``.test`` is reserved: no real mail goes there).
PRIVATE_DOMAIN = "pochta.test"
_SHOWN = 5


def _quoted(value: str) -> str:
    # The search language has no escape for '"' inside a phrase.
    return '"' + " ".join(value.replace('"', " ").split()) + '"'


def _since(since: str | Message | datetime | float | None) -> str:
    if since is None:
        return ""
    if isinstance(since, Message):
        return since.id
    if isinstance(since, datetime):
        return repr(since.timestamp())
    return str(since)


class Mailbox:
    """The messages of one catcher, read through its JSON API at ``url``."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        """Talk to the catcher whose API is at ``url`` (e.g. ``http://127.0.0.1:8025``).

        ``timeout`` bounds each request. It is generous because a catcher
        answers SMTP and ``/readyz`` before its API has loaded, and holds the
        first API request until it has (seconds on a busy machine).
        """
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=timeout)

    def __repr__(self) -> str:
        return f"<Mailbox {self.url}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection."""
        self._client.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._client.request(method, path, **kwargs)
        self._raise_for(response)
        return response

    def _raise_for(self, response: httpx.Response) -> None:
        """Raise the error an unsuccessful answer stands for, with the API's own text."""
        if response.is_success:
            return
        try:
            text = str(response.json()["Error"])
        except (ValueError, KeyError, TypeError):
            text = response.text.strip() or response.reason_phrase
        path = response.request.url.path
        if response.status_code == 404 and path.startswith("/api/v1/message/"):
            raise MessageNotFound(text)
        where = f"{response.request.method} {self.url}{path}"
        raise APIError(f"{where} answered {response.status_code}: {text}")

    def _message(self, data: JSON) -> Message:
        return Message(data, self._load, self._part, self._headers)

    def _load(self, message_id: str) -> JSON:
        data: JSON = self._request("GET", f"/api/v1/message/{message_id}").json()
        return data

    def _part(self, message_id: str, part_id: str) -> bytes:
        return self._request("GET", f"/api/v1/message/{message_id}/part/{part_id}").content

    def _headers(self, message_id: str) -> dict[str, list[str]]:
        data: dict[str, list[str]] = self._request(
            "GET", f"/api/v1/message/{message_id}/headers"
        ).json()
        return data

    def messages(self, *, limit: int = 50, start: int = 0) -> list[Message]:
        """Return up to ``limit`` messages, newest first."""
        page = self._request("GET", "/api/v1/messages", params={"start": start, "limit": limit})
        return [self._message(row) for row in page.json()["messages"]]

    def count(self) -> int:
        """Return how many messages the catcher holds."""
        page = self._request("GET", "/api/v1/messages", params={"limit": 1})
        return int(page.json()["total"])

    def search(self, query: str, *, limit: int = 50) -> list[Message]:
        """Return up to ``limit`` messages matching ``query`` (Mailpit's search), newest first."""
        page = self._request("GET", "/api/v1/search", params={"query": query, "limit": limit})
        return [self._message(row) for row in page.json()["messages"]]

    def get(self, message_id: str) -> Message:
        """Return the message with this id (``"latest"``: the newest); marks it read."""
        return self._message(self._load(message_id))

    def latest(self) -> Message:
        """Return the newest message; :class:`MailAssertionError` if there is none."""
        try:
            return self.get("latest")
        except MessageNotFound:
            raise MailAssertionError(f"the mailbox at {self.url} is empty") from None

    def delete_all(self) -> None:
        """Delete every message."""
        self._request("DELETE", "/api/v1/messages")

    def wait_for(
        self,
        *,
        to: str | None = None,
        subject: str | None = None,
        query: str | None = None,
        since: str | Message | datetime | float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Message:
        """Return the newest message matching every condition given, waiting up to ``timeout``.

        ``to`` and ``subject`` match part of a recipient or of the subject,
        case-insensitively; ``query`` is any search in Mailpit's language
        (``from:``, ``has:attachment``, words of the body...). A message
        already stored counts, unless ``since`` (a message, its id, a
        ``datetime`` or a Unix time) says to count only later ones. The server
        answers the moment the message is stored. After ``timeout`` seconds,
        raises :class:`MailAssertionError` listing the latest messages::

            message = mailbox.wait_for(to="ann@example.com", subject="Your code")
        """
        terms = [
            f"to:{_quoted(to)}" if to else "",
            f"subject:{_quoted(subject)}" if subject else "",
        ]
        search = " ".join(t for t in (*terms, query or "") if t)
        params: dict[str, str | float] = {
            "query": search,
            "timeout": timeout,
            "since": _since(since),
        }
        response = self._client.get(
            "/api/v1/wait", params=params, timeout=httpx.Timeout(10.0, read=timeout + 10.0)
        )
        if response.status_code == 408:
            raise MailAssertionError(self._missing(search, timeout))
        self._raise_for(response)
        return self._message(response.json())

    def _missing(self, search: str, timeout: float) -> str:
        what = f"matching {search!r}" if search else "at all"
        latest = self.messages(limit=_SHOWN)
        total = self.count()
        lines = [f"no message {what} arrived at {self.url} within {timeout:g} s;"]
        if not latest:
            lines.append("the mailbox is empty: is the application sending to this catcher?")
        else:
            lines.append(f"{total} message(s) in the mailbox, the latest:")
            lines.extend(_line(message) for message in latest)
        return "\n".join(lines)


def _line(message: Message) -> str:
    when = f"{message.created:%H:%M:%S} " if message.created else ""
    to = ", ".join(message.to + message.cc + message.bcc) or "?"
    return f"  {when}{message.subject!r} from {message.from_email or '?'} to {to}"


def private_rule(domain: str = PRIVATE_DOMAIN) -> str:
    """Return the ``--mailbox-rule`` that sends ``user+NAME@domain`` to mailbox NAME."""
    return f"*+*@{domain}={{plus}}"


class PrivateMailbox(Mailbox):
    """A mailbox of one test's own on a shared catcher: its API at ``/mailbox/NAME/``.

    Mail to :meth:`address` lands here (the catcher runs with
    :func:`private_rule`), so :meth:`wait_for` and :meth:`messages` see this
    test's mail only, whatever other tests or ``pytest -n`` workers send::

        def test_reset(pochta_private_mailbox):
            user = make_user(email=pochta_private_mailbox.address("ann"))
            request_password_reset(user)
            assert pochta_private_mailbox.wait_for(subject="Reset").link("/reset/")
    """

    def __init__(
        self, url: str, name: str, *, domain: str = PRIVATE_DOMAIN, timeout: float = 30.0
    ) -> None:
        """Talk to mailbox ``name`` of the catcher whose API is at ``url``."""
        super().__init__(f"{url.rstrip('/')}/mailbox/{name}", timeout=timeout)
        self.name = name
        self.domain = domain

    def __repr__(self) -> str:
        return f"<PrivateMailbox {self.name} {self.url}>"

    def address(self, local: str = "user") -> str:
        """Return an address whose mail lands in this mailbox: ``local+NAME@pochta.test``."""
        return f"{local}+{self.name}@{self.domain}"
