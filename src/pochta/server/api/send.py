"""``POST /api/v1/send``: compose a message from Mailpit's JSON body and store it.

The body is Mailpit's ``SendRequest``::

    {"From": {"Email": "app@example.com", "Name": "App"},
     "To": [{"Email": "user@example.com", "Name": "User"}], "Cc": [...],
     "Bcc": ["audit@example.com"], "ReplyTo": [...],
     "Subject": "...", "Text": "...", "HTML": "<p>...</p>",
     "Attachments": [{"Content": "<base64>", "Filename": "a.pdf",
                      "ContentType": "application/pdf", "ContentID": ""}],
     "Headers": {"X-Campaign": "spring"}, "Tags": ["Tag 1"]}

The message is built with :class:`pochta.mail.EmailMultiAlternatives`, so a
line break in any header, name, address or file name is a 400 (never an
injected header); an attachment with a ``ContentID`` is attached inline,
next to the HTML. Headers that the fields set (``From``, ``To``, ``Subject``,
...) cannot be given in ``Headers`` (400, as Mailpit). ``Tags`` becomes an
``X-Tags`` header, which the store reads as tags. The answer is
``{"ID": "..."}`` once the message is committed. The request body may be as
large as ``--max-message-size``; so may the composed message (413).
"""

from __future__ import annotations

import base64
import binascii
import email.generator
import email.message
import io
import re
from email.utils import formataddr, parseaddr
from typing import Annotated, cast

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from pochta.exceptions import BadHeaderError, QueryError
from pochta.mail import EmailMultiAlternatives, make_msgid
from pochta.server.api.dependency import (
    FeaturesDep,
    body_schema,
    get_store,
    json_body,
    mailbox_of,
)
from pochta.server.api.model import SendMessageConfirmation, documented
from pochta.store import Envelope, Store

__all__ = [
    "DEFAULT_SEND_LIMIT",
    "RESTRICTED_HEADERS",
    "SendAddress",
    "SendAttachment",
    "SendBody",
    "compose",
    "router",
]

router = APIRouter(prefix="/api/v1", tags=["message"])

#: The largest send body and message when the app is built without a size.
DEFAULT_SEND_LIMIT = 50 * 1024 * 1024
#: Headers the fields set; ``Headers`` may not name them (compared without case).
RESTRICTED_HEADERS = frozenset(
    {"to", "from", "cc", "bcc", "reply-to", "date", "subject", "content-type", "mime-version"}
)
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


class SendAddress(BaseModel):
    """A recipient or sender: ``{"Email": ..., "Name": ...}``."""

    Email: str
    Name: str = ""


class SendAttachment(BaseModel):
    """A file: base64 ``Content`` (a ``data:`` URL prefix is allowed), ``Filename``."""

    Content: str
    Filename: str
    ContentType: str = ""
    ContentID: str = ""


class SendBody(BaseModel):
    """Mailpit's ``SendRequest``."""

    From: SendAddress
    To: list[SendAddress] = []
    Cc: list[SendAddress] = []
    Bcc: list[str] = []
    ReplyTo: list[SendAddress] = []
    Subject: str = ""
    Text: str = ""
    HTML: str = ""
    Attachments: list[SendAttachment] = []
    Headers: dict[str, str] = {}
    Tags: list[str] = []


async def _send_body(request: Request) -> SendBody:
    return await json_body(request, SendBody)


def _email(field: str, address: str) -> str:
    text = address.strip()
    _name, parsed = parseaddr(text)
    if not parsed or parsed != text or "@" not in parsed or re.search(r"[\s<>]", parsed):
        raise QueryError(f"invalid {field} address: {address!r}; give a bare address like a@b.c")
    return parsed


def _formatted(field: str, address: SendAddress) -> str:
    return formataddr((address.Name, _email(field, address.Email)))


def _decoded(attachment: SendAttachment) -> bytes:
    content = attachment.Content.rsplit(",", 1)[-1]
    try:
        return base64.b64decode(content.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise QueryError(
            f"the Content of attachment {attachment.Filename!r} is not base64"
        ) from None


def _media_type(attachment: SendAttachment) -> str | None:
    kind = attachment.ContentType.strip().lower()
    if kind and not _MEDIA_TYPE.fullmatch(kind):
        raise QueryError(
            f"ContentType {attachment.ContentType!r} of {attachment.Filename!r} is not a "
            f"media type; give one like image/png or leave it out"
        )
    return kind or None


def _headers(body: SendBody) -> dict[str, str]:
    headers = {"Message-ID": make_msgid(domain="pochta.localhost")}
    restricted = RESTRICTED_HEADERS | ({"x-tags"} if body.Tags else set())
    for name, value in body.Headers.items():
        if name.strip().lower() in restricted:
            raise QueryError(f"cannot overwrite header: {name!r}; set it with its own field")
        if name.lower() == "message-id":
            headers.pop("Message-ID")
        headers[name] = value
    if body.Tags:
        headers["X-Tags"] = ", ".join(tag.strip() for tag in body.Tags if tag.strip())
    return headers


def _add_inline(msg: email.message.EmailMessage, attachment: SendAttachment) -> None:
    kind = _media_type(attachment) or "application/octet-stream"
    maintype, subtype = kind.split("/", 1)
    cid = attachment.ContentID.strip().strip("<>")
    for name, value in (("Content-ID", cid), ("filename", attachment.Filename)):
        if re.search(r"[\x00-\x1f\x7f\u2028\u2029\x85]", value):
            raise BadHeaderError(f"{name} {value!r} holds a line break or control character")
    html = msg.get_body(("html",))
    target = html if html is not None else msg
    target.add_related(
        _decoded(attachment),
        maintype=maintype,
        subtype=subtype,
        cid=f"<{cid}>",
        filename=attachment.Filename,
        disposition="inline",
    )


def compose(body: SendBody) -> tuple[bytes, Envelope]:
    """Build the message ``body`` describes; return its CRLF bytes and its envelope.

    Raises QueryError (bad address, base64 or header name) or BadHeaderError.
    """
    to = [_formatted("To", a) for a in body.To]
    cc = [_formatted("Cc", a) for a in body.Cc]
    bcc = [_email("Bcc", a) for a in body.Bcc]
    message = EmailMultiAlternatives(
        subject=body.Subject,
        body=body.Text,
        from_email=_formatted("From", body.From),
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=[_formatted("Reply-To", a) for a in body.ReplyTo],
        headers=_headers(body),
    )
    if body.HTML:
        message.attach_alternative(body.HTML, "text/html")
    for attachment in body.Attachments:
        if not attachment.ContentID.strip():
            message.attach(attachment.Filename, _decoded(attachment), _media_type(attachment))
    msg = message.message()
    for attachment in body.Attachments:
        if attachment.ContentID.strip():
            _add_inline(msg, attachment)
    buffer = io.BytesIO()
    policy = msg.policy.clone(linesep="\r\n")
    email.generator.BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(msg)
    recipients = tuple(_email("To", a.Email) for a in (*body.To, *body.Cc)) + tuple(bcc)
    return buffer.getvalue(), Envelope(_email("From", body.From.Email), recipients, source="api")


@router.post(
    "/send",
    summary="Send a message",
    openapi_extra=body_schema(SendBody),
    response_model=None,
    responses=documented(SendMessageConfirmation),
)
def send(
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    body: Annotated[SendBody, Depends(_send_body)],
    features: FeaturesDep,
) -> dict[str, str]:
    """Compose and store the message; answer Mailpit's ``{"ID": ...}``."""
    raw, envelope = compose(body)
    limit = cast(int, request.app.state.send_limit)
    if len(raw) > limit:
        raise HTTPException(413, f"the composed message is larger than {limit} bytes")
    client = request.client.host if request.client else ""
    envelope = Envelope(envelope.mail_from, envelope.rcpt_tos, client_address=client, source="api")
    if features.deliver is None:
        return {"ID": store.add(raw, envelope)}
    return {"ID": features.deliver(raw, envelope, mailbox=mailbox_of(request))}
