"""The request guard and the error shape: Host, origin, body size, store failures, probes."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from pochta.exceptions import MessageNotFound, QueryError, StoreError, StoreFullError
from pochta.server.api.error import install_error_handlers
from pochta.server.routes import create_app
from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhi\r\n"


def add(store: Store) -> str:
    """Store one small message."""
    return store.add(MESSAGE, Envelope("a@example.com", ("b@example.com",)))


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:8025", "127.0.0.1.evil.example", "localhost.evil", ""],
)
async def test_foreign_host_is_refused(api_client: httpx.AsyncClient, host: str) -> None:
    response = await api_client.get("/api/v1/messages", headers={"host": host})
    assert response.status_code == 421
    assert "--allowed-host" in response.json()["Error"]


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8025", "localhost:8025", "[::1]:8025", "app.localhost", "10.1.2.3:8025"]
)
async def test_own_hosts_are_served(api_client: httpx.AsyncClient, host: str) -> None:
    response = await api_client.get("/livez", headers={"host": host})
    assert (response.status_code, response.text) == (200, "ok")


async def test_allowed_host_is_served(api_store: Store) -> None:
    app = create_app(api_store, allowed_hosts=["mail.test"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mail.test:8025") as client:
        assert (await client.get("/api/v1/messages")).status_code == 200
        refused = await client.get("/api/v1/messages", headers={"host": "other.test"})
        assert refused.status_code == 421


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"origin": "http://127.0.0.1:9999"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
async def test_cross_site_delete_is_refused(
    api_client: httpx.AsyncClient, api_store: Store, headers: dict[str, str]
) -> None:
    add(api_store)
    response = await api_client.request("DELETE", "/api/v1/messages", headers=headers)
    assert response.status_code == 403
    assert api_store.count() == (1, 1)


async def test_cross_site_form_post_is_refused(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post(
        "/api/v1/messages",
        content=b"IDs=x",
        headers={"origin": "http://evil.example", "content-type": "text/plain"},
    )
    assert response.status_code == 403


async def test_same_origin_delete_is_served(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    add(api_store)
    headers = {"origin": "http://127.0.0.1:8025", "sec-fetch-site": "same-origin"}
    response = await api_client.request("DELETE", "/api/v1/messages", headers=headers)
    assert response.status_code == 200
    assert api_store.count() == (0, 0)


async def test_cross_site_read_is_not_an_action(api_client: httpx.AsyncClient) -> None:
    # A GET changes nothing but the read flag; the browser's same-origin policy hides the answer.
    response = await api_client.get("/api/v1/messages", headers={"origin": "http://evil.example"})
    assert response.status_code == 200


async def test_oversized_body_is_413(api_client: httpx.AsyncClient, api_store: Store) -> None:
    add(api_store)
    body = b'{"IDs": ["' + b"x" * (1024 * 1024) + b'"]}'
    response = await api_client.request("DELETE", "/api/v1/messages", content=body)
    assert response.status_code == 413
    assert response.json() == {"Error": "request body is larger than 1048576 bytes"}
    assert api_store.count() == (1, 1)


async def test_oversized_body_without_length_is_413(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    add(api_store)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    response = await api_client.request("DELETE", "/api/v1/messages", content=chunks())
    assert response.status_code == 413
    assert api_store.count() == (1, 1)


async def test_closed_store_is_503(api_client: httpx.AsyncClient, api_store: Store) -> None:
    api_store.close()
    response = await api_client.get("/api/v1/messages")
    assert response.status_code == 503
    assert "closed" in response.json()["Error"]
    assert (await api_client.get("/readyz")).status_code == 503
    assert (await api_client.get("/livez")).status_code == 200


async def test_unknown_route_uses_the_error_shape(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/api/v1/nothing-here")
    assert (response.status_code, response.json()) == (404, {"Error": "Not Found"})
    response = await api_client.post("/api/v1/message/latest")
    assert (response.status_code, response.json()) == (405, {"Error": "Method Not Allowed"})


async def test_every_answer_is_nosniff(api_client: httpx.AsyncClient) -> None:
    for path in ("/", "/livez", "/readyz", "/api/v1/messages", "/api/v1/message/latest"):
        response = await api_client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path


async def test_front_page_points_to_the_api(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/")
    assert response.status_code == 200
    assert 'href="/api/v1/messages"' in response.text


# Mailpit's v1 paths (server/ui/api/v1/swagger.json) that pochta answers, with its
# parameter names, and pochta's own: the probes, and /api/v1/wait (listed once its
# owner drops include_in_schema=False).
MAILPIT_PATHS = [
    "/api/v1/chaos",
    "/api/v1/info",
    "/api/v1/message/{ID}",
    "/api/v1/message/{ID}/headers",
    "/api/v1/message/{ID}/html-check",
    "/api/v1/message/{ID}/link-check",
    "/api/v1/message/{ID}/part/{PartID}",
    "/api/v1/message/{ID}/part/{PartID}/thumb",
    "/api/v1/message/{ID}/raw",
    "/api/v1/message/{ID}/release",
    "/api/v1/message/{ID}/sa-check",
    "/api/v1/messages",
    "/api/v1/search",
    "/api/v1/send",
    "/api/v1/tags",
    "/api/v1/tags/{Tag}",
    "/api/v1/webui",
    "/view/latest",
    "/view/{ID}.html",
    "/view/{ID}.txt",
]
POCHTA_PATHS = ["/api/v1/chaos/rules", "/livez", "/readyz", "/api/v1/mailboxes"]


async def test_openapi_lists_the_mailpit_routes(api_client: httpx.AsyncClient) -> None:
    paths = (await api_client.get("/api/v1/openapi.json")).json()["paths"]
    assert sorted(set(paths) - {"/api/v1/wait"}) == sorted(MAILPIT_PATHS + POCHTA_PATHS)
    methods = {path: sorted(paths[path]) for path in paths}
    assert methods["/api/v1/messages"] == ["delete", "get", "put"]
    assert methods["/api/v1/search"] == ["delete", "get"]
    assert methods["/api/v1/tags"] == ["get", "put"]
    assert methods["/api/v1/tags/{Tag}"] == ["delete", "put"]
    assert methods["/api/v1/send"] == ["post"]
    send = paths["/api/v1/send"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert sorted(send["properties"]["From"]["properties"]) == ["Email", "Name"]
    assert sorted(send["properties"]["Attachments"]["items"]["properties"]) == [
        "Content",
        "ContentID",
        "ContentType",
        "Filename",
    ]


# Mailpit's definitions (swagger.json) and their fields; pochta's schemas hold each.
MAILPIT_DEFINITIONS = {
    "Address": ["Address", "Name"],
    "AppInformation": [
        "Database", "DatabaseSize", "LatestVersion", "Messages", "RuntimeStats", "Tags",
        "Unread", "Version",
    ],
    "Attachment": ["ContentID", "ContentType", "FileName", "PartID", "Size"],
    "JSONErrorMessage": ["Error"],
    "Message": [
        "Attachments", "Bcc", "Cc", "Date", "From", "HTML", "ID", "Inline", "MessageID",
        "ReplyTo", "ReturnPath", "Size", "Subject", "Tags", "Text", "To",
    ],
    "MessageSummary": [
        "Attachments", "Bcc", "Cc", "Created", "From", "ID", "MessageID", "Read", "ReplyTo",
        "Size", "Snippet", "Subject", "Tags", "To",
    ],
    "MessagesSummary": ["messages", "messages_count", "start", "tags", "total", "unread"],
    "SendMessageConfirmation": ["ID"],
    "WebUIConfiguration": [
        "ChaosEnabled", "DuplicatesIgnored", "Label", "MessageRelay", "SpamAssassin",
    ],
}  # fmt: skip


async def test_openapi_schemas_have_mailpit_fields(api_client: httpx.AsyncClient) -> None:
    document = (await api_client.get("/api/v1/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for name, fields in MAILPIT_DEFINITIONS.items():
        assert set(schemas[name]["properties"]) >= set(fields), name
    answers = {
        "/api/v1/messages": "MessagesSummary",
        "/api/v1/search": "MessagesSummary",
        "/api/v1/message/{ID}": "Message",
        "/api/v1/info": "AppInformation",
        "/api/v1/webui": "WebUIConfiguration",
    }
    for path, name in answers.items():
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{name}"}
    assert "422" not in json.dumps(document)


async def test_openapi_references_resolve(api_client: httpx.AsyncClient) -> None:
    document = (await api_client.get("/api/v1/openapi.json")).json()
    refs = re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(document))
    for ref in refs:
        node = document
        for key in ref.split("/"):
            node = node[key]
    assert refs and all(not ref.startswith("$defs") for ref in refs)


async def test_api_docs_name_every_route(api_client: httpx.AsyncClient) -> None:
    doc = (Path(__file__).parents[3] / "docs" / "api.md").read_text(encoding="utf-8")
    paths = (await api_client.get("/api/v1/openapi.json")).json()["paths"]
    for path, methods in paths.items():
        for method in methods:
            assert re.search(rf"`[^`]*{method.upper()}[^`]*{re.escape(path)}", doc) or (
                f"{method.upper()} {path}" in doc
            ), f"docs/api.md does not list {method.upper()} {path}"
    assert "`GET /api/events`" in doc


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (MessageNotFound("no message with id 'x'"), 404),
        (QueryError("bad search"), 400),
        (StoreFullError("the disk is full; free some space"), 507),
        (StoreError("the store is locked; try again"), 503),
        (RuntimeError("boom"), 500),
    ],
)
async def test_errors_become_one_shape(error: Exception, status: int) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    def fail() -> None:
        raise error

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.get("/fail")
    expected = "internal error; the server log says more" if status == 500 else str(error)
    assert (response.status_code, response.json()) == (status, {"Error": expected})
