"""Every numeric parameter, out of range, answers 400 with the JSON error (or a page), never 5xx.

The routes are found in the OpenAPI document, so a numeric parameter added
later is probed too; the inbox's pages (not in the document) are listed here.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio

#: Huge (past SQLite's 64-bit integers), negative, not a number, infinite.
BAD_NUMBERS = ("99999999999999999999", "-1", "-99999999999999999999", "abc", "1e400", "nan", "inf")
HELLO = b"Subject: hello\r\n\r\nhello\r\n"
#: Numeric parameters of the inbox's pages, which the OpenAPI document leaves out.
PAGE_PARAMETERS = (("/", "start"),)
#: Every route gets these too, so a search has its text and a wait does not wait.
BASE = {"query": "hello", "q": "hello", "timeout": "0"}


async def numeric_parameters(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """Return (url, name) of every integer or number query parameter in the OpenAPI document."""
    document = (await client.get("/api/v1/openapi.json")).json()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                numeric = parameter.get("schema", {}).get("type") in ("integer", "number")
                if method == "get" and parameter["in"] == "query" and numeric:
                    found.append((path, parameter["name"]))
    return found


def answered_well(answer: httpx.Response) -> bool:
    """Tell whether ``answer`` is the JSON error with 400, or a page (200, or wait's 408)."""
    if answer.status_code == 400:
        body: Any = answer.json()
        return isinstance(body, dict) and set(body) == {"Error"} and bool(body["Error"])
    return answer.status_code in (200, 408)


async def test_every_numeric_parameter_out_of_range_is_a_400(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    api_store.add(HELLO, Envelope("a@example.com", ("b@example.com",)))
    targets = [*await numeric_parameters(api_client), *PAGE_PARAMETERS]
    assert {name for _, name in targets} >= {"start", "limit", "timeout"}

    wrong = []
    for url, name in targets:
        for value in BAD_NUMBERS:
            answer = await api_client.get(url, params=BASE | {name: value})
            if not answered_well(answer):
                wrong.append(f"{url} {name}={value}: {answer.status_code} {answer.text[:80]}")

    assert wrong == []


async def test_a_start_past_sqlite_integers_names_the_value_and_the_limit(
    api_client: httpx.AsyncClient,
) -> None:
    answer = await api_client.get("/api/v1/messages?start=99999999999999999999")

    assert (answer.status_code, answer.json()) == (
        400,
        {
            "Error": "query.start: Input should be less than or equal to 9007199254740991 "
            "(got '99999999999999999999')"
        },
    )


async def test_a_start_past_the_last_message_is_an_empty_page(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    api_store.add(HELLO, Envelope("a@example.com", ("b@example.com",)))

    answers = [
        await api_client.get(url, params=BASE | {"start": 2**53 - 1})
        for url in ("/api/v1/messages", "/api/v1/search", "/")
    ]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [answers[0].json()["messages"], answers[1].json()["messages"]] == [[], []]
    assert 'id="empty">' in answers[2].text  # the inbox's "no mail" line, not hidden
