"""The link check against real HTTP servers on loopback: statuses, redirects, limits, cache."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest

from pochta.server.check.fetch import GuardedBackend
from pochta.server.check.link import MAX_LINKS, LinkChecker, checkable_links
from tests.server.check.site import Site, serve_site

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """One test site on 127.0.0.1 for the module."""
    with serve_site() as running:
        yield running


def links_of(answer: dict[str, Any]) -> list[tuple[int, str]]:
    """Return each link's (StatusCode, Status)."""
    return [(link["StatusCode"], link["Status"]) for link in answer["Links"]]


async def test_statuses_are_mailpits(site: Site) -> None:
    checker = LinkChecker(allow_internal=True)
    urls = [f"{site.url}/ok", f"{site.url}/missing", "http://127.0.0.1:1/closed"]
    answer = await checker.check(urls, follow=False)
    assert answer["Errors"] == 2
    assert links_of(answer) == [(200, "OK"), (404, "Not Found"), (0, "connection refused")]
    assert [link["URL"] for link in answer["Links"]] == urls


async def test_head_first_then_get_when_head_is_refused(site: Site) -> None:
    answer = await LinkChecker(allow_internal=True).check([f"{site.url}/no-head"], follow=False)
    assert links_of(answer) == [(200, "OK")]
    assert site.heard[-2:] == ["HEAD /no-head", "GET /no-head"]


async def test_redirects_are_reported_or_followed(site: Site) -> None:
    redirect = f"{site.url}/to?url={site.url}/missing"
    checker = LinkChecker(allow_internal=True)
    assert links_of(await checker.check([redirect], follow=False)) == [(302, "Found")]
    assert links_of(await checker.check([redirect], follow=True)) == [(404, "Not Found")]
    looping = await checker.check([f"{site.url}/loop"], follow=True)
    assert links_of(looping) == [(0, "too many redirects")]


async def test_answers_are_cached_per_url_and_follow(site: Site) -> None:
    checker = LinkChecker(allow_internal=True)
    url = f"{site.url}/ok?cached"
    for _ in range(3):
        await checker.check([url], follow=False)
    await checker.check([url], follow=True)
    assert site.heard.count("HEAD /ok?cached") == 2


async def test_a_redirect_into_a_refused_address_is_refused_when_connecting(site: Site) -> None:
    # Only 127.0.0.2 is refused here: the first hop (127.0.0.1) is let through,
    # the redirect's target is refused when its connection is made.
    with serve_site("127.0.0.2") as inner:

        def refuse(address: IPv4Address | IPv6Address) -> bool:
            return address == ipaddress.ip_address("127.0.0.2")

        checker = LinkChecker(backend=GuardedBackend(refuse=refuse))
        hop = f"{site.url}/to?url={inner.url}/ok"
        answer = await checker.check([hop, f"{inner.url}/ok"], follow=True)
        assert links_of(answer) == [(451, "Blocked private/reserved address")] * 2
        assert inner.heard == []


def test_only_http_links_are_checked_once_each_at_most_a_hundred() -> None:
    links = ["mailto:a@example.com", "https://a.example/", "https://a.example/", "ftp://x"]
    links += [f"http://b.example/{n}" for n in range(200)]
    checked = checkable_links(links)
    assert checked[:2] == ["https://a.example/", "http://b.example/0"]
    assert len(checked) == MAX_LINKS
