"""The link check: ask every link and image of a message whether it answers, within limits.

``GET /api/v1/message/{ID}/link-check?follow=`` answers Mailpit's shape::

    {"Errors": 1, "Links": [{"URL": "https://example.com/", "StatusCode": 200, "Status": "OK"},
                            {"URL": "http://127.0.0.1/x", "StatusCode": 451,
                             "Status": "Blocked private/reserved address"}]}

``Errors`` counts links answering 400 or more, or nothing (0). The limits:
at most :data:`MAX_LINKS` links a message, :data:`CONCURRENCY` requests at
once overall and :data:`PER_HOST` to one host, a token bucket per host
(:data:`HOST_BURST` at once, then :data:`HOST_RATE` a second), each link
answered within 10 s and the whole check within :data:`DEADLINE`. Answers
are kept :data:`CACHE_SECONDS` (keyed by URL *and* ``follow``, unlike Mailpit,
whose cache ignores ``follow``).

Internal addresses are refused (451) unless ``--allow-internal-http-requests``
is given, which is how to check links to your own app on ``localhost``.
"""

from __future__ import annotations

import ssl
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
import httpcore
import httpx

from pochta.server.api.shape import JSON
from pochta.server.check.fetch import GuardedBackend, Probe, probe

__all__ = [
    "CACHE_SECONDS",
    "CONCURRENCY",
    "DEADLINE",
    "HOST_BURST",
    "HOST_RATE",
    "MAX_LINKS",
    "PER_HOST",
    "LinkChecker",
    "checkable_links",
]

MAX_LINKS = 100
CONCURRENCY = 8
PER_HOST = 2
HOST_BURST = 100
HOST_RATE = 1.0
DEADLINE = 25.0
CACHE_SECONDS = 60.0
_KEPT = 10_000  # hosts and cached answers remembered at most


def checkable_links(links: Sequence[str]) -> list[str]:
    """Return the http(s) links of a message, de-duplicated, at most :data:`MAX_LINKS`."""
    wanted = (link for link in links if link.lower().startswith(("http://", "https://")))
    return list(dict.fromkeys(wanted))[:MAX_LINKS]


@dataclass
class _Host:
    """One host's share: a token bucket and a cap on requests in flight."""

    tokens: float
    stamp: float
    inflight: anyio.Semaphore

    async def take(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(HOST_BURST, self.tokens + (now - self.stamp) * HOST_RATE)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await anyio.sleep((1 - self.tokens) / HOST_RATE)


class LinkChecker:
    """Checks links for every request of one server: shared limits and cache."""

    def __init__(
        self,
        *,
        allow_internal: bool = False,
        verify_tls: bool = True,
        limit_rate: bool = True,
        backend: GuardedBackend | None = None,
    ) -> None:
        self.backend = backend or GuardedBackend(allow_internal=allow_internal)
        self.verify_tls = verify_tls
        self.limit_rate = limit_rate
        self._ssl: ssl.SSLContext | None = None  # loading the CA store takes a while: once
        self._overall = anyio.Semaphore(CONCURRENCY)
        self._hosts: OrderedDict[str, _Host] = OrderedDict()
        self._cache: OrderedDict[tuple[str, bool], tuple[float, Probe]] = OrderedDict()

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
            if not self.verify_tls:
                self._ssl.check_hostname = False
                self._ssl.verify_mode = ssl.CERT_NONE
        return self._ssl

    async def check(self, links: Sequence[str], *, follow: bool) -> JSON:
        """Return Mailpit's ``LinkCheckResponse`` for ``links`` (see the module)."""
        urls = checkable_links(links)
        results: dict[str, Probe] = {}
        pool = httpcore.AsyncConnectionPool(
            ssl_context=self._context(), network_backend=self.backend, max_connections=CONCURRENCY
        )
        async with pool:
            with anyio.move_on_after(DEADLINE):
                async with anyio.create_task_group() as group:
                    for url in urls:
                        group.start_soon(self._one, pool, url, follow, results)
        late = Probe(0, "not checked: the link check ran out of time")
        answers = [results.get(url, late) for url in urls]
        return {
            "Errors": sum(1 for a in answers if a.code == 0 or a.code >= 400),
            "Links": [
                {"URL": url, "StatusCode": a.code, "Status": a.status}
                for url, a in zip(urls, answers, strict=True)
            ],
        }

    async def _one(
        self, pool: httpcore.AsyncConnectionPool, url: str, follow: bool, out: dict[str, Probe]
    ) -> None:
        cached = self._cache.get((url, follow))
        if cached is not None and cached[0] > time.monotonic():
            out[url] = cached[1]
            return
        host = self._host(url)
        async with host.inflight, self._overall:
            if self.limit_rate:
                await host.take()
            with anyio.move_on_after(10.0) as scope:
                answer = await probe(pool, url, follow=follow)
            if scope.cancelled_caught:
                answer = Probe(0, "timed out")
        out[url] = answer
        self._cache[(url, follow)] = (time.monotonic() + CACHE_SECONDS, answer)
        self._cache.move_to_end((url, follow))
        while len(self._cache) > _KEPT:
            self._cache.popitem(last=False)

    def _host(self, url: str) -> _Host:
        try:
            name = httpx.URL(url).host
        except httpx.InvalidURL:
            name = ""
        host = self._hosts.get(name)
        if host is None:
            host = _Host(float(HOST_BURST), time.monotonic(), anyio.Semaphore(PER_HOST))
            self._hosts[name] = host
            while len(self._hosts) > _KEPT:
                self._hosts.popitem(last=False)
        self._hosts.move_to_end(name)
        return host
