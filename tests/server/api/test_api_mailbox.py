"""``/mailbox/NAME/``: the whole API and inbox for one mailbox, on each kind of store."""

from __future__ import annotations

import httpx
import pytest

from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio

ENVELOPE = Envelope("app@example.test", ("dev@example.test",))


def add(store: Store, subject: str, mailbox: str = "default") -> str:
    raw = f"Subject: {subject}\r\nTo: dev@example.test\r\n\r\nhello {subject}\r\n".encode()
    return store.mailbox(mailbox).add(raw, ENVELOPE)


async def subjects(client: httpx.AsyncClient, base: str = "") -> list[str]:
    page = (await client.get(f"{base}/api/v1/messages")).json()
    return [m["Subject"] for m in page["messages"]]


async def test_each_mailbox_lists_and_searches_only_its_own(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    add(api_store, "root one")
    add(api_store, "ci one", "ci")
    add(api_store, "ci two", "ci")
    search = await api_client.get("/mailbox/ci/api/v1/search", params={"query": "one"})
    assert (await subjects(api_client), await subjects(api_client, "/mailbox/ci")) == (
        ["root one"],
        ["ci two", "ci one"],
    )
    assert [m["Subject"] for m in search.json()["messages"]] == ["ci one"]
    assert (await api_client.get("/mailbox/nobody/api/v1/messages")).json()["total"] == 0


async def test_a_message_of_another_mailbox_is_not_there(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    id = add(api_store, "secret", "alice")
    other = await api_client.get(f"/mailbox/bob/api/v1/message/{id}")
    deleted = await api_client.request(
        "DELETE", "/mailbox/bob/api/v1/messages", json={"IDs": [id]}
    )
    wiped = await api_client.request("DELETE", "/mailbox/bob/api/v1/messages")
    assert (other.status_code, deleted.status_code, wiped.status_code) == (404, 200, 200)
    assert (await api_client.get(f"/mailbox/alice/api/v1/message/{id}")).status_code == 200
    assert api_store.mailbox("alice").count() == (1, 0)


async def test_a_message_sent_to_a_mailbox_url_lands_there(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    body = {"From": {"Email": "app@example.test"}, "To": [{"Email": "a@example.test"}]}
    answer = await api_client.post("/mailbox/ci/api/v1/send", json={**body, "Subject": "Hi"})
    assert answer.status_code == 200
    assert (await subjects(api_client, "/mailbox/ci"), await subjects(api_client)) == (["Hi"], [])


async def test_a_wait_in_a_mailbox_is_woken_only_by_its_mail(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    add(api_store, "elsewhere")
    missed = await api_client.get(
        "/mailbox/ci/api/v1/wait", params={"query": "elsewhere", "timeout": 0}
    )
    add(api_store, "build done", "ci")
    found = await api_client.get(
        "/mailbox/ci/api/v1/wait", params={"query": "build", "timeout": 5}
    )
    assert (missed.status_code, found.status_code, found.json()["Subject"]) == (
        408,
        200,
        "build done",
    )


async def test_names_that_cannot_be_mailboxes_are_404_and_the_bare_name_redirects(
    api_client: httpx.AsyncClient,
) -> None:
    bad = await api_client.get("/mailbox/Not%20One/api/v1/messages")
    bare = await api_client.get("/mailbox/ci")
    assert (bad.status_code, "no mailbox" in bad.json()["Error"]) == (404, True)
    assert (bare.status_code, bare.headers["location"]) == (308, "/mailbox/ci/")


async def test_the_inbox_of_a_mailbox_links_within_it_and_the_root_lists_them(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    id = add(api_store, "Deploy finished", "ci")
    add(api_store, "Lunch")
    page = (await api_client.get("/mailbox/ci/")).text
    root = (await api_client.get("/")).text
    assert f'href="/mailbox/ci/message/{id}"' in page and "Lunch" not in page
    assert 'data-root="/mailbox/ci"' in page
    assert 'href="/mailbox/ci/"' in root and "Deploy finished" not in root
    assert (await api_client.get(f"/mailbox/ci/message/{id}")).status_code == 200
    assert (await api_client.get(f"/message/{id}")).status_code == 404


async def test_the_mailboxes_route_counts_each(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    add(api_store, "a", "ci")
    add(api_store, "b", "ci")
    assert (await api_client.get("/api/v1/mailboxes")).json() == [
        {"Name": "default", "Total": 0, "Unread": 0, "URL": "/"},
        {"Name": "ci", "Total": 2, "Unread": 2, "URL": "/mailbox/ci/"},
    ]
