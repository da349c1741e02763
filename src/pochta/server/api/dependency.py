"""What every HTTP route shares: the store, path parameters, JSON bodies and searches.

Route modules (:mod:`pochta.server.api.message`, ``tag``, ``search``, ...)
and the inbox pages import from here, never from each other. An id is checked
by the store itself (:meth:`pochta.store.Store.resolve_id`), so a malformed
one is a 404 like an unknown one.

``GET``/``DELETE /api/v1/search`` and ``PUT /api/v1/messages`` with
``Search`` read a query the same way: an empty one is refused (Mailpit's
rule), a ``tz`` must name an IANA time zone, and bad text is a
:class:`~pochta.exceptions.QueryError` (400) that quotes the term.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Annotated, Any, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ValidationError

from pochta.exceptions import QueryError
from pochta.server.api.feature import Features
from pochta.server.api.scope import LOGIN_KEY, MAILBOX_KEY, WEBROOT_KEY
from pochta.store import Store
from pochta.store.mailbox import DEFAULT_MAILBOX, MailboxCount, MailboxGrants

__all__ = [
    "LOGIN_KEY",
    "MAILBOX_KEY",
    "MAX_LIMIT",
    "MAX_START",
    "PREFIX",
    "QUERY_HELP",
    "TZ_HELP",
    "WEBROOT_KEY",
    "FeaturesDep",
    "Limit",
    "MessageID",
    "PartID",
    "Start",
    "StoreDep",
    "body_schema",
    "get_features",
    "get_store",
    "json_body",
    "login_of",
    "mailbox_of",
    "mailbox_url",
    "matching_ids",
    "resolve",
    "search_text",
    "time_zone",
    "visible_mailboxes",
    "webroot_of",
]


#: The start of every mailbox's base URL but the default one's (the root).
PREFIX = "/mailbox/"


def mailbox_url(name: str, webroot: str = "") -> str:
    """Return the base URL path of mailbox ``name`` (the root for the default one)."""
    return f"{webroot}/" if name == DEFAULT_MAILBOX else f"{webroot}{PREFIX}{name}/"


def webroot_of(request: Request) -> str:
    """Return the ``--webroot`` prefix a request came under, without any mailbox's."""
    return str(request.scope.get(WEBROOT_KEY, request.scope.get("root_path", "")))


def mailbox_of(request: Request) -> str:
    """Return the mailbox a request is for: its ``/mailbox/NAME/`` prefix, else the default."""
    return cast(str, request.scope.get(MAILBOX_KEY, DEFAULT_MAILBOX))


def login_of(request: Request) -> str | None:
    """Return the inbox login of a request (``--ui-auth-file``), or None without one."""
    return cast("str | None", request.scope.get(LOGIN_KEY))


def visible_mailboxes(request: Request) -> list[MailboxCount]:
    """Return the mailboxes the request's login may open (every one without ``--ui-mailbox``)."""
    grants = cast(MailboxGrants, getattr(request.app.state, "grants", None) or MailboxGrants())
    found = cast(Store, request.app.state.store).mailboxes()
    login = login_of(request)
    return [m for m in found if grants.allows(login, m.name)]


def get_store(request: Request) -> Store:
    """Return the store of the request's mailbox (FastAPI dependency): its view of the app's."""
    return cast(Store, request.app.state.store).mailbox(mailbox_of(request))


#: A route parameter that receives the app's store.
StoreDep = Annotated[Store, Depends(get_store)]
# Mailpit's names for the path parameters (the OpenAPI document shows them).
MessageID = Annotated[str, Path(alias="ID", description='Message database ID or "latest"')]
PartID = Annotated[str, Path(alias="PartID", description="Attachment part ID")]
BodyT = TypeVar("BodyT", bound=BaseModel)

#: The largest ``start`` a page may ask for: the largest whole number a
#: JavaScript client reads exactly. A larger one is a 400, not an SQLite
#: ``OverflowError`` (its integers end at 2**63 - 1); one past the last
#: message is an empty page.
MAX_START = 2**53 - 1
#: The most messages one page may hold.
MAX_LIMIT = 10_000
#: The ``start`` of every paged route (the API's and the inbox's): 0 to MAX_START.
Start = Annotated[int, Query(ge=0, le=MAX_START, description="Pagination offset")]
#: The ``limit`` of every paged route: 1 to MAX_LIMIT.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Limit results")]


async def json_body(request: Request, model: type[BodyT]) -> BodyT:
    """Read the request body as ``model``; 400 with the field that is wrong."""
    # Like Mailpit, read the body as JSON whatever its Content-Type says
    # (``curl -d`` sends form-urlencoded); an empty body means "no fields".
    raw = await request.body()
    try:
        return model.model_validate_json(raw) if raw.strip() else model()
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(x) for x in problem["loc"])
        field = f" field {where}" if where else ""
        raise HTTPException(400, f"request body{field}: {problem['msg']}") from None


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Return ``openapi_extra`` that documents ``model`` as the JSON request body.

    Nested models are written out in place: pydantic's ``#/$defs/...``
    references would point nowhere inside the OpenAPI document.
    """
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return {"requestBody": {"content": {"application/json": {"schema": inline(schema)}}}}


def resolve(store: Store, id_or_latest: str) -> str:
    """Return the id ``id_or_latest`` names, or raise MessageNotFound (also for bad forms)."""
    return store.resolve_id(id_or_latest)


#: The description of every ``tz`` parameter.
TZ_HELP = (
    "Time zone identifier (e.g. Pacific/Auckland) used only for before: and after: "
    "dates that give none; UTC by default"
)
#: The description of every ``query`` parameter.
QUERY_HELP = "Search query, in Mailpit's search language (e.g. from:alice is:unread)"


def time_zone(tz: str) -> tzinfo:
    """Return the zone named ``tz`` (IANA name; empty means UTC), or raise QueryError."""
    name = tz.strip()
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise QueryError(
            f"tz={tz!r} is not a time zone; give an IANA name like Europe/Moscow or leave it out"
        ) from None


def search_text(query: str) -> str:
    """Return ``query`` stripped, or raise QueryError when nothing is left."""
    text = query.strip()
    if not text:
        raise QueryError("no search query; give query=, e.g. query=from:alice@example.com")
    return text


def matching_ids(store: Store, query: str, tz: str) -> list[str]:
    """Return the id of every message matching ``query`` (QueryError for bad text)."""
    return store.search_ids(search_text(query), tz=time_zone(tz))


def get_features(request: Request) -> Features:
    """Return the app's :class:`~pochta.server.api.feature.Features` (FastAPI dependency)."""
    return cast(Features, getattr(request.app.state, "features", None) or Features())


#: A route parameter that receives the app's :class:`~pochta.server.api.feature.Features`.
FeaturesDep = Annotated[Features, Depends(get_features)]
