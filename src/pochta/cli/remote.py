"""``pochta dump --http URL``: the messages of a running catcher, read through its API.

Works with ``pochta serve`` and with Mailpit (the same v1 routes): pages of
``/api/v1/messages`` (or ``/api/v1/search``), then each message's ``/raw``.
URL is the server's base, with its web root if any; a ``user:password@`` in
it is sent as HTTP basic auth. Nothing the server answers is trusted: an id
that is not of the id form is never put into a request, and every page must
bring new ids or the listing stops.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import click
import httpx

from pochta.cli.dump import Found, safe_id

__all__ = ["PAGE", "api_messages"]

PAGE = 1000
"""Summaries asked for per page."""
_TIMEOUT = httpx.Timeout(60.0)


def api_messages(url: str, query: str) -> Iterator[tuple[Found, Iterable[bytes] | None]]:
    """Yield each message the server at ``url`` lists (or ``query`` finds), with its bytes.

    The bytes come as chunks of the streamed ``/raw`` answer, to be read
    before the next message is asked for; None for a message deleted
    meanwhile or whose id is not one (nothing is requested for it).
    """
    if not re.match(r"(?i)^https?://", url):
        raise click.UsageError(f"--http {url!r} is not an http:// or https:// URL")
    base = url.rstrip("/")
    with httpx.Client(base_url=base, timeout=_TIMEOUT, follow_redirects=False) as client:
        for found in _listing(client, query):
            if not safe_id(found.id):
                yield found, None
                continue
            with client.stream("GET", f"/api/v1/message/{found.id}/raw") as response:
                if response.status_code == 404:
                    yield found, None
                    continue
                _check(response, f"/api/v1/message/{found.id}/raw")
                yield found, response.iter_bytes()


def _listing(client: httpx.Client, query: str) -> Iterator[Found]:
    path = "/api/v1/search" if query else "/api/v1/messages"
    seen: set[str] = set()
    while True:
        params: dict[str, Any] = {"start": len(seen), "limit": PAGE}
        if query:
            params["query"] = query
        try:
            response = client.get(path, params=params)
        except httpx.HTTPError as error:
            raise click.ClickException(f"cannot read {client.base_url}{path} ({error})") from None
        _check(response, path)
        page = _page(response, path)
        fresh = [m for m in page["messages"] if isinstance(m, dict) and m.get("ID") not in seen]
        for message in fresh:
            id = str(message.get("ID", ""))
            seen.add(id)
            yield Found(id, str(message.get("Subject", "")), _when(message))
        matched = page.get("messages_count", page.get("total", 0)) if query else page.get("total")
        if not fresh or not isinstance(matched, int) or len(seen) >= matched:
            return


def _check(response: httpx.Response, path: str) -> None:
    if response.status_code != 200:
        response.read()
        raise click.ClickException(
            f"{response.url} answered {response.status_code} for {path}: {response.text[:200]}"
        )


def _page(response: httpx.Response, path: str) -> dict[str, Any]:
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, dict) or not isinstance(page.get("messages"), list):
        raise click.ClickException(f"{response.url} did not answer {path} with a list of messages")
    return page


def _when(message: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(message.get("Created")))
    except ValueError:
        return datetime.now(UTC)
