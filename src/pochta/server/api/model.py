"""Mailpit's v1 JSON shapes as models, for the OpenAPI document only.

The routes build their answers with :mod:`pochta.server.api.shape`; these
models describe the same fields (Mailpit's names, from its ``swagger.json``)
so that ``/api/v1/openapi.json`` shows them. :data:`ERRORS` documents the one
error shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

__all__ = [
    "ERRORS",
    "Address",
    "AppInformation",
    "Attachment",
    "JSONErrorMessage",
    "Message",
    "MessageSummary",
    "MessagesSummary",
    "SendMessageConfirmation",
    "WebUIConfiguration",
    "describe_errors_as_400",
    "documented",
]


class Address(BaseModel):
    """A mailbox: ``{"Name": "Barry Gibbs", "Address": "bg@example.com"}``."""

    Name: str
    Address: str


class Checksums(BaseModel):
    """Digests of a part's decoded bytes."""

    MD5: str
    SHA1: str
    SHA256: str


class Attachment(BaseModel):
    """An attachment or inline part of a message."""

    PartID: str
    FileName: str
    ContentType: str
    ContentID: str
    Size: int
    Checksums: Checksums


class MessageSummary(BaseModel):
    """One row of a list or search (and the ``new`` event's data)."""

    ID: str
    MessageID: str
    Read: bool
    From: Address | None
    To: list[Address]
    Cc: list[Address]
    Bcc: list[Address]
    ReplyTo: list[Address]
    Subject: str
    Created: str
    Username: str
    Tags: list[str]
    Size: int
    Attachments: int
    Snippet: str


class MessagesSummary(BaseModel):
    """A page of a list or search, with the mailbox's and the matches' counts."""

    total: int
    unread: int
    count: int
    messages_count: int
    messages_unread: int
    start: int
    tags: list[str]
    messages: list[MessageSummary]


class ListUnsubscribe(BaseModel):
    """The List-Unsubscribe header, its links and what is wrong with it."""

    Header: str
    Links: list[str]
    Errors: str
    HeaderPost: str


class Message(BaseModel):
    """One parsed message (reading it marks it read)."""

    ID: str
    MessageID: str
    From: Address | None
    To: list[Address]
    Cc: list[Address]
    Bcc: list[Address]
    ReplyTo: list[Address]
    ReturnPath: str
    Subject: str
    ListUnsubscribe: ListUnsubscribe
    Date: str
    Tags: list[str]
    Username: str
    Text: str
    HTML: str
    Size: int
    Inline: list[Attachment]
    Attachments: list[Attachment]


class RuntimeStats(BaseModel):
    """Figures since the server started."""

    Uptime: int
    Memory: int
    MessagesDeleted: int
    SMTPAccepted: int
    SMTPAcceptedSize: int
    SMTPRejected: int
    SMTPIgnored: int


class AppInformation(BaseModel):
    """Version, store and counts (``LatestVersion`` is always empty)."""

    Version: str
    LatestVersion: str
    Database: str
    DatabaseSize: int
    Messages: int
    Unread: int
    Tags: dict[str, int]
    RuntimeStats: RuntimeStats


class MessageRelay(BaseModel):
    """Message relay settings (``--smtp-relay-config``; zero values when release is off)."""

    Enabled: bool
    SMTPServer: str
    ReturnPath: str
    AllowedRecipients: str
    BlockedRecipients: str
    OverrideFrom: str
    PreserveMessageIDs: bool
    RecipientAllowlist: str


class WebUIConfiguration(BaseModel):
    """Settings of Mailpit's web UI."""

    Label: str
    MessageRelay: MessageRelay
    SpamAssassin: bool
    ChaosEnabled: bool
    DuplicatesIgnored: bool
    HideDeleteAllButton: bool


class SendMessageConfirmation(BaseModel):
    """The id of a message stored by ``POST /api/v1/send``."""

    ID: str


class JSONErrorMessage(BaseModel):
    """Every error: what went wrong and how to fix it."""

    Error: str


#: ``responses=`` for a route's errors.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": JSONErrorMessage, "description": "Bad parameter, body or search"},
    404: {"model": JSONErrorMessage, "description": "No such message or part"},
}


def documented(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """Return ``responses=`` that show ``model`` as the answer, and the error shape."""
    return {200: {"model": model}, **ERRORS}


def describe_errors_as_400(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document show bad input as 400 ``JSONErrorMessage``.

    FastAPI documents a 422 ``HTTPValidationError`` for every route with
    parameters; pochta answers those with 400 and ``{"Error": ...}``, as Mailpit.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.get("responses", {})
                    if responses.pop("422", None) is not None and "400" not in responses:
                        responses["400"] = {
                            "description": "Bad parameter or body",
                            "content": {"application/json": {"schema": _ERROR_REF}},
                        }
            schemas = document.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            schemas.setdefault("JSONErrorMessage", JSONErrorMessage.model_json_schema())
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_ERROR_REF = {"$ref": "#/components/schemas/JSONErrorMessage"}
