"""The tag routes: list, set, rename, delete; automatic tags; tags in lists and events."""

from __future__ import annotations

import httpx
import pytest

from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio


def add(store: Store, subject: str, *, to: str = "b@example.com", headers: str = "") -> str:
    """Store a small message to ``to`` with extra ``headers``."""
    raw = f"From: a@example.com\r\nTo: {to}\r\nSubject: {subject}\r\n{headers}\r\nhi\r\n"
    return store.add(raw.encode(), Envelope("a@example.com", (to,)))


async def tags_of(client: httpx.AsyncClient, message_id: str) -> list[str]:
    """Return the ``Tags`` the API shows for one message."""
    return list((await client.get(f"/api/v1/message/{message_id}")).json()["Tags"])


async def test_automatic_tags_are_listed(api_client: httpx.AsyncClient, api_store: Store) -> None:
    add(api_store, "one", headers="X-Tags: Billing, urgent\r\n")
    add(api_store, "two", to="bob+signup@example.com")
    assert (await api_client.get("/api/v1/tags")).json() == ["Billing", "signup", "urgent"]
    listed = (await api_client.get("/api/v1/messages")).json()
    assert listed["tags"] == ["Billing", "signup", "urgent"]
    assert [m["Tags"] for m in listed["messages"]] == [["signup"], ["Billing", "urgent"]]


async def test_set_tags_replaces_them(api_client: httpx.AsyncClient, api_store: Store) -> None:
    first = add(api_store, "one", headers="X-Tags: old\r\n")
    second = add(api_store, "two")
    body = {"IDs": [first, second], "Tags": ["Tag 1", " Tag 2 ", ""]}
    response = await api_client.put("/api/v1/tags", json=body)
    assert (response.status_code, response.text) == (200, "ok")
    assert (
        await tags_of(api_client, first)
        == await tags_of(api_client, second)
        == [
            "Tag 1",
            "Tag 2",
        ]
    )
    await api_client.put("/api/v1/tags", json={"IDs": [first], "Tags": []})
    assert await tags_of(api_client, first) == []
    assert (await api_client.get("/api/v1/tags")).json() == ["Tag 1", "Tag 2"]


async def test_rename_and_delete_a_tag(api_client: httpx.AsyncClient, api_store: Store) -> None:
    message_id = add(api_store, "one", headers="X-Tags: a/b, keep\r\n")
    renamed = await api_client.put("/api/v1/tags/a%2Fb", json={"Name": "Renamed"})
    assert (renamed.status_code, renamed.text) == (200, "ok")
    assert await tags_of(api_client, message_id) == ["keep", "Renamed"]
    deleted = await api_client.delete("/api/v1/tags/Renamed")
    assert (deleted.status_code, deleted.text) == (200, "ok")
    assert await tags_of(api_client, message_id) == ["keep"]
    assert api_store.count() == (1, 0)
    absent = await api_client.delete("/api/v1/tags/never%20used")
    assert absent.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("PUT", "/api/v1/tags/keep", b'{"Name": ""}'),
        ("PUT", "/api/v1/tags/keep", b"{}"),
        ("PUT", "/api/v1/tags/keep", b"{oops"),
        ("PUT", "/api/v1/tags", b'{"IDs": "x", "Tags": []}'),
        ("PUT", "/api/v1/tags", b'{"IDs": [], "Tags": "x"}'),
    ],
)
async def test_bad_tag_bodies_are_400(
    api_client: httpx.AsyncClient, api_store: Store, method: str, path: str, content: bytes
) -> None:
    message_id = add(api_store, "one", headers="X-Tags: keep\r\n")
    response = await api_client.request(method, path, content=content)
    assert response.status_code == 400
    assert list(response.json()) == ["Error"]
    assert api_store.summary(message_id).tags == ("keep",)
