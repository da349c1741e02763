"""EmailMessage and EmailMultiAlternatives: Django's message classes on the stdlib email API.

``message()`` returns a standard :class:`email.message.EmailMessage`. Text parts go
out as UTF-8 with ``8bit`` transfer encoding (``7bit`` when plain ASCII), as Django 5
did, so a console or file backend shows readable text and a long link stays whole;
only a line longer than SMTP allows (998 octets) is quoted-printable.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.policy import Policy
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pochta.mail import settings
from pochta.mail.deprecation import (
    CONNECTION_ARG_WARNING,
    FAIL_SILENTLY_ARG_WARNING,
    deprecate_posargs,
    report_using_incompatibility,
    warn_external,
)
from pochta.mail.header import (
    DNS_NAME,
    check_header_value,
    check_message_headers,
    encode_address_domains,
    set_header,
)
from pochta.mail.part import DEFAULT_ATTACHMENT_MIME_TYPE, add_attachment, add_text

if TYPE_CHECKING:
    from pochta.mail.backends.base import BaseEmailBackend

__all__ = [
    "DEFAULT_ATTACHMENT_MIME_TYPE",
    "EmailAlternative",
    "EmailAttachment",
    "EmailMessage",
    "EmailMultiAlternatives",
    "make_msgid",
]

_LIST_HEADERS = ("To", "Cc", "Reply-To")


class EmailAlternative(NamedTuple):
    """One alternative representation of the body, e.g. ``(html, "text/html")``."""

    content: Any
    mimetype: str


class EmailAttachment(NamedTuple):
    """One attachment: a file name (or None), its content and its MIME type."""

    filename: str | None
    content: Any
    mimetype: str


def _as_list(name: str, value: Sequence[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        raise TypeError(f'"{name}" argument must be a list or tuple')
    return list(value)


class EmailMessage:
    """A message to one or more recipients, as Django's ``EmailMessage``.

    ``bcc`` addresses are recipients that never appear in a header. ``headers``
    holds extra headers; ``From``, ``To``, ``Cc``, ``Reply-To``, ``Date`` and
    ``Message-ID`` given there override the computed ones.
    """

    content_subtype = "plain"
    # The charset of text/* parts; None means the DEFAULT_CHARSET setting.
    encoding: str | None = None

    @deprecate_posargs(["bcc", "connection", "attachments", "headers", "cc", "reply_to"])
    def __init__(
        self,
        subject: str = "",
        body: str = "",
        from_email: str | None = None,
        to: Sequence[str] | None = None,
        *,
        bcc: Sequence[str] | None = None,
        connection: BaseEmailBackend | None = None,
        attachments: Iterable[Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cc: Sequence[str] | None = None,
        reply_to: Sequence[str] | None = None,
    ) -> None:
        if connection is not None:
            warn_external(CONNECTION_ARG_WARNING, skip_prefixes=(f"{__name__}.",))
        self.to = _as_list("to", to)
        self.cc = _as_list("cc", cc)
        self.bcc = _as_list("bcc", bcc)
        self.reply_to = _as_list("reply_to", reply_to)
        self.from_email: str = from_email or settings.get_str("DEFAULT_FROM_EMAIL")
        self.subject = subject
        self.body = body or ""
        self.attachments: list[Any] = []
        for attachment in attachments or ():
            if isinstance(attachment, email.message.Message):
                self.attach(attachment)
            else:
                self.attach(*attachment)
        self.extra_headers: dict[str, Any] = dict(headers or {})
        self._connection = connection

    @property
    def connection(self) -> BaseEmailBackend | None:
        """The backend given to the constructor, if any (deprecated in Django 6.1)."""
        warn_external("The EmailMessage.connection attribute is deprecated.")
        return self._connection

    @connection.setter
    def connection(self, value: BaseEmailBackend | None) -> None:
        warn_external(
            "The EmailMessage.connection attribute is deprecated. "
            "Switch to EmailMessage.send(using=...) with a MAILERS alias."
        )
        self._connection = value

    def message(self, *, policy: Policy = email.policy.default) -> email.message.EmailMessage:
        """Return the message as a standard library ``email.message.EmailMessage``.

        Raises BadHeaderError if any header, address or attachment file name would
        hold a line break.
        """
        if any(name.lower() == "bcc" for name in self.extra_headers):
            raise ValueError(
                'Bcc is not a valid email header. Use the "bcc" argument to specify '
                "blind carbon copy recipients."
            )
        msg = email.message.EmailMessage(policy=policy)
        self._add_bodies(msg)
        self._add_attachments(msg)
        _order_mime_headers(msg)
        set_header(msg, "Subject", str(self.subject))
        extra = {name.lower(): value for name, value in self.extra_headers.items()}
        set_header(msg, "From", str(extra.get("from", self.from_email)))
        for name, values in zip(_LIST_HEADERS, (self.to, self.cc, self.reply_to), strict=True):
            if name.lower() in extra:
                set_header(msg, name, str(extra[name.lower()]))
            elif values:
                set_header(msg, name, ", ".join(str(value) for value in values))
        if "date" not in extra:
            set_header(msg, "Date", _now())
        if "message-id" not in extra:
            set_header(msg, "Message-ID", make_msgid(domain=DNS_NAME.get_fqdn()))
        for name, value in self.extra_headers.items():
            if name.lower() not in {"from", "to", "cc", "reply-to"}:
                set_header(msg, name, value if isinstance(value, datetime) else str(value))
        if not getattr(msg.policy, "utf8", False):
            encode_address_domains(msg)
        check_message_headers(msg)
        return msg

    def recipients(self) -> list[str]:
        """Return every recipient address: To, then Cc, then Bcc."""
        return [address for address in (*self.to, *self.cc, *self.bcc) if address]

    def send(self, fail_silently: bool = False, *, using: str | None = None) -> int:
        """Send the message; return 1 if it was sent, 0 if not (or if it has no recipients).

        ``using`` names the ``MAILERS`` entry (default: the default mailer);
        ``fail_silently`` is deprecated (Django 6.1) and cannot go with ``using``.
        """
        if not self.recipients():
            # No recipient: do not even make a backend.
            return 0
        from pochta.mail import api

        if fail_silently:
            warn_external(FAIL_SILENTLY_ARG_WARNING)
        if hasattr(self, "get_connection"):
            raise AttributeError(
                "EmailMessage no longer supports the undocumented get_connection() method."
            )
        if using is not None:
            report_using_incompatibility(self._connection, fail_silently)
            connection = api.mailers[using]
        elif self._connection is not None:
            if fail_silently:
                raise TypeError(
                    "fail_silently cannot be used with a connection. "
                    "Pass fail_silently to get_connection() instead."
                )
            connection = self._connection
        else:
            connection = api.get_connection(fail_silently=fail_silently)
        return connection.send_messages([self])

    def attach(
        self,
        filename: str | email.message.Message | None = None,
        content: Any = None,
        mimetype: str | None = None,
    ) -> None:
        """Attach ``content`` under ``filename``; the MIME type is guessed when not given.

        A ready-made ``email.message.MIMEPart`` may be given instead of a file name.
        For a ``text/*`` type, bytes are decoded as UTF-8; bytes that do not decode
        are attached as ``application/octet-stream``.
        """
        if isinstance(filename, email.message.Message):
            if content is not None or mimetype is not None:
                raise ValueError(
                    "content and mimetype must not be given when a MIMEPart instance is provided."
                )
            self.attachments.append(filename)
            return
        if content is None:
            raise ValueError("content must be provided.")
        if filename is not None:
            check_header_value("Content-Disposition filename", filename)
        mimetype = (
            mimetype
            or (mimetypes.guess_type(filename)[0] if filename else None)
            or DEFAULT_ATTACHMENT_MIME_TYPE
        )
        if mimetype.startswith("text/") and isinstance(content, bytes):
            try:
                content = content.decode()
            except UnicodeDecodeError:
                mimetype = DEFAULT_ATTACHMENT_MIME_TYPE
        self.attachments.append(EmailAttachment(filename, content, mimetype))

    def attach_file(self, path: str | Path, mimetype: str | None = None) -> None:
        """Attach the file at ``path`` under its base name (same rules as :meth:`attach`)."""
        path = Path(path)
        self.attach(path.name, path.read_bytes(), mimetype)

    def _charset(self) -> str:
        return self.encoding or settings.get_str("DEFAULT_CHARSET")

    def _add_bodies(self, msg: email.message.EmailMessage) -> None:
        if self.body or not self.attachments:
            body = self.body
            if isinstance(body, bytes):
                body = body.decode(self._charset(), errors="surrogateescape")
            add_text(msg.set_content, msg.policy, str(body), self.content_subtype, self._charset())

    def _add_attachments(self, msg: email.message.EmailMessage) -> None:
        if not self.attachments:
            return
        if hasattr(self, "mixed_subtype"):
            # Django 6.0 dropped it; ignoring it would send a different structure.
            raise AttributeError(
                "EmailMessage no longer supports the undocumented `mixed_subtype` attribute"
            )
        msg.make_mixed()
        for attachment in self.attachments:
            if isinstance(attachment, email.message.Message):
                # A legacy email.mime part attaches fine at run time, as in Django.
                msg.attach(attachment)  # type: ignore[arg-type]
            else:
                filename, content, mimetype = attachment
                if isinstance(content, EmailMessage):
                    content = content.message(policy=msg.policy)
                add_attachment(msg, filename, content, mimetype, self._charset())


class EmailMultiAlternatives(EmailMessage):
    """An EmailMessage with alternative bodies, such as an HTML version of the text.

    ::

        msg = EmailMultiAlternatives("Hi", "Plain text", "a@example.com", ["b@example.com"])
        msg.attach_alternative("<p>HTML text</p>", "text/html")
        msg.send()
    """

    @deprecate_posargs(
        ["bcc", "connection", "attachments", "headers", "alternatives", "cc", "reply_to"]
    )
    def __init__(
        self,
        subject: str = "",
        body: str = "",
        from_email: str | None = None,
        to: Sequence[str] | None = None,
        *,
        bcc: Sequence[str] | None = None,
        connection: BaseEmailBackend | None = None,
        attachments: Iterable[Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        alternatives: Iterable[tuple[Any, str]] | None = None,
        cc: Sequence[str] | None = None,
        reply_to: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            subject,
            body,
            from_email,
            to,
            bcc=bcc,
            connection=connection,
            attachments=attachments,
            headers=headers,
            cc=cc,
            reply_to=reply_to,
        )
        self.alternatives = [EmailAlternative(*alternative) for alternative in alternatives or ()]

    def attach_alternative(self, content: Any, mimetype: str) -> None:
        """Add an alternative representation of the body, e.g. ``(html, "text/html")``."""
        if content is None or mimetype is None:
            raise ValueError("Both content and mimetype must be provided.")
        self.alternatives.append(EmailAlternative(content, mimetype))

    def body_contains(self, text: str) -> bool:
        """Return whether ``text`` is in the body and in every text/* alternative."""
        if text not in self.body:
            return False
        return all(
            text in content
            for content, mimetype in self.alternatives
            if mimetype.startswith("text/")
        )

    def _add_bodies(self, msg: email.message.EmailMessage) -> None:
        if self.body or not self.alternatives:
            super()._add_bodies(msg)
        if not self.alternatives:
            return
        if hasattr(self, "alternative_subtype"):
            raise AttributeError(
                "EmailMultiAlternatives no longer supports the undocumented "
                "`alternative_subtype` attribute"
            )
        msg.make_alternative()
        charset = self._charset()
        for content, mimetype in self.alternatives:
            maintype, subtype = mimetype.split("/", 1)
            if maintype == "text":
                text = content.decode() if isinstance(content, bytes) else str(content)
                add_text(msg.add_alternative, msg.policy, text, subtype, charset)
            else:
                data = content.encode(charset) if isinstance(content, str) else bytes(content)
                msg.add_alternative(data, maintype=maintype, subtype=subtype)


def _now() -> datetime:
    if settings.get_bool("EMAIL_USE_LOCALTIME"):
        return datetime.now().astimezone()
    return datetime.now(UTC)


def _order_mime_headers(msg: email.message.EmailMessage) -> None:
    """Put the MIME headers in Django 5's order: Content-Type, MIME-Version, CTE."""
    for name in ("MIME-Version", "Content-Transfer-Encoding"):
        value = msg.get(name)
        if value is not None:
            del msg[name]
            msg[name] = str(value)
