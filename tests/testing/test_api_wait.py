"""GET /api/v1/wait, in-process around a real store: answers when a matching message is stored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pochta.config import HostPort, Settings
from pochta.server.app import start
from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio

ENVELOPE = Envelope("app@example.com", ("user@example.org",))


def message(subject: str, body: str = "hello") -> bytes:
    """Return a small message from the app to the user."""
    return (
        f"From: app@example.com\r\nTo: user@example.org\r\nSubject: {subject}\r\n\r\n{body}\r\n"
    ).encode()


async def add(store: Store, subject: str, body: str = "hello") -> str:
    """Store a message the way SMTP does: on another thread, while the loop runs."""
    return await asyncio.to_thread(store.add, message(subject, body), ENVELOPE)


async def test_a_message_already_stored_is_answered_at_once(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    await add(api_store, "Welcome")
    wanted = await add(api_store, "Reset your password")
    await add(api_store, "Newsletter")

    answer = await api_client.get("/api/v1/wait", params={"query": "subject:reset"})

    assert answer.status_code == 200
    assert answer.json()["ID"] == wanted
    assert answer.json()["Subject"] == "Reset your password"
    assert answer.json()["To"] == [{"Name": "", "Address": "user@example.org"}]


async def test_the_wait_answers_with_a_match_stored_after_it_began(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    waiting = asyncio.create_task(
        api_client.get("/api/v1/wait", params={"query": "to:user subject:code", "timeout": 60})
    )
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await add(api_store, "Something else")
    wanted = await add(api_store, "Your code")

    answer = await waiting

    assert (answer.status_code, answer.json()["ID"]) == (200, wanted)


async def test_bare_words_are_looked_for_in_the_body(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    waiting = asyncio.create_task(
        api_client.get("/api/v1/wait", params={"query": '"is 123456"', "timeout": 60})
    )
    await asyncio.sleep(0.1)
    await add(api_store, "Sign in", "your code is 654321")
    wanted = await add(api_store, "Sign in", "your code is 123456")

    answer = await waiting

    assert answer.json()["ID"] == wanted


async def test_no_match_in_time_is_a_408_that_says_what_was_waited_for(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    await add(api_store, "Welcome")

    answer = await api_client.get("/api/v1/wait", params={"query": "subject:nope", "timeout": 0.3})

    assert answer.status_code == 408
    assert answer.json() == {
        "Error": "no message matching 'subject:nope' arrived within 0.3 s; check that the "
        "application sends to this server's SMTP address, or wait longer (timeout= up to 300)"
    }


async def test_since_a_message_counts_only_newer_ones(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    await add(api_store, "Code 1")
    mark = await add(api_store, "Marker")
    newer = await add(api_store, "Code 2")

    after_mark = await api_client.get("/api/v1/wait", params={"query": "code", "since": mark})
    after_all = await api_client.get(
        "/api/v1/wait", params={"query": "code", "since": newer, "timeout": 0}
    )
    after_latest = await api_client.get(
        "/api/v1/wait", params={"query": "code", "since": "latest", "timeout": 0}
    )

    assert after_mark.json()["ID"] == newer
    assert [after_all.status_code, after_latest.status_code] == [408, 408]


async def test_since_a_unix_time_counts_messages_stored_after_it(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    old = await add(api_store, "Code")
    created = api_store.summary(old).created.timestamp()

    before = await api_client.get("/api/v1/wait", params={"since": created - 60, "timeout": 0})
    after = await api_client.get("/api/v1/wait", params={"since": created + 60, "timeout": 0})

    assert before.json()["ID"] == old
    assert after.status_code == 408


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        (
            {"query": "is:maybe"},
            400,
            "unknown flag is:'maybe'; use one of is:read, is:tagged, is:unread",
        ),
        (
            {"timeout": 301},
            400,
            "query.timeout: Input should be less than or equal to 300 (got '301')",
        ),
        (
            {"timeout": -1},
            400,
            "query.timeout: Input should be greater than or equal to 0 (got '-1')",
        ),
        (
            {"timeout": "soon"},
            400,
            "query.timeout: Input should be a valid number, unable to parse string as a number"
            " (got 'soon')",
        ),
        (
            {"since": "no-such-id"},
            404,
            "no message with id 'no-such-id' (it may have been deleted or pruned)",
        ),
        (
            {"since": "1e300"},
            400,
            "since='1e300' is out of range; give a Unix time in seconds or a message id",
        ),
        (
            {"timeout": "nan"},
            400,
            "query.timeout: Input should be less than or equal to 300 (got 'nan')",
        ),
        (
            {"timeout": "inf"},
            400,
            "query.timeout: Input should be less than or equal to 300 (got 'inf')",
        ),
        (
            {"since": "nan"},
            400,
            "since='nan' is out of range; give a Unix time in seconds or a message id",
        ),
        (
            {"since": "../../etc/passwd"},
            404,
            "no message with id '../../etc/passwd' (it may have been deleted or pruned)",
        ),
        (
            {"tz": "Mars/Olympus"},
            400,
            "tz='Mars/Olympus' is not a time zone; give a name like Europe/Moscow",
        ),
    ],
)
async def test_bad_parameters_are_400_or_404_with_the_fix(
    api_client: httpx.AsyncClient, params: dict[str, object], status: int, error: str
) -> None:
    answer = await api_client.get("/api/v1/wait", params=params)  # type: ignore[arg-type]

    assert (answer.status_code, answer.json()) == (status, {"Error": error})


async def test_a_finished_wait_stops_listening_to_the_store(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    internals: Any = api_store
    listening = list(internals._announcer._subscribers._callbacks)
    await api_client.get("/api/v1/wait", params={"timeout": 0.1})
    wanted = await add(api_store, "After")

    answer = await api_client.get("/api/v1/wait", params={"timeout": 0})

    assert answer.json()["ID"] == wanted
    assert internals._announcer._subscribers._callbacks == listening


async def test_a_client_that_goes_away_ends_its_wait(tmp_path: Path) -> None:
    settings = Settings(smtp=HostPort("127.0.0.1", 0), listen=HostPort("127.0.0.1", 0))
    catcher = await start(settings, database=tmp_path / "mail.db")
    await catcher.loaded()  # the API (and its event hub) subscribes once it has loaded
    internals: Any = catcher.store
    listening = internals._announcer._subscribers._callbacks
    before = len(listening)  # the server's own subscribers
    try:
        _reader, writer = await asyncio.open_connection(
            catcher.http_address.host, catcher.http_address.port
        )
        writer.write(b"GET /api/v1/wait?timeout=120 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        await until(lambda: len(listening) == before + 1)
        writer.close()
        await writer.wait_closed()

        await until(lambda: len(listening) == before)
    finally:
        await catcher.aclose(grace=1)


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds; fail after 20 seconds."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_a_change_of_flags_or_tags_can_make_a_message_match(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    message_id = await add(api_store, "Invoice")
    waiting = asyncio.create_task(
        api_client.get("/api/v1/wait", params={"query": "tag:paid is:read", "timeout": 60})
    )
    await asyncio.sleep(0.1)
    await asyncio.to_thread(api_store.set_tags, [message_id], ["paid"])
    await asyncio.to_thread(api_store.set_read, [message_id], True)

    answer = await waiting

    assert (answer.status_code, answer.json()["ID"], answer.json()["Tags"]) == (
        200,
        message_id,
        ["paid"],
    )
