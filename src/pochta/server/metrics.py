"""Prometheus metrics of ``pochta serve`` (``--enable-prometheus``), through prometheus_client.

Mailpit's eleven metrics keep their names, types and help texts, so its
dashboards work unchanged; pochta adds its own under ``pochta_``:

========================================  =======  ==========================================
``mailpit_database_size_bytes``           gauge    the store file and its write-ahead log
``mailpit_memory_usage_bytes``            gauge    resident memory of the process
``mailpit_messages``                      gauge    messages in the store
``mailpit_messages_unread``               gauge    unread messages
``mailpit_messages_deleted_total``        counter  messages deleted since start
``mailpit_smtp_accepted_total``           counter  messages stored from SMTP since start
``mailpit_smtp_accepted_size_bytes_total`` counter their bytes
``mailpit_smtp_rejected_total``           counter  refused as Mailpit counts (see ``/api/v1/info``)
``mailpit_smtp_ignored_total``            counter  duplicates ignored
``mailpit_tag_messages{tag}``             gauge    messages per tag
``mailpit_uptime_seconds``                gauge    seconds since start
``pochta_smtp_sessions``                  gauge    SMTP connections open now
``pochta_index_backlog``                  gauge    messages stored but not yet parsed for search
``pochta_http_request_duration_seconds``  histo.   HTTP requests by method, route and status
========================================  =======  ==========================================

Unlike Mailpit's snapshot taken every 15 s, values are read when scraped.
With ``true`` they are served at ``/metrics`` on the web port, behind its
login; with ``HOST:PORT`` on a listener of their own (no login, as Mailpit).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIServer

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pochta.config import HostPort
from pochta.exceptions import ServeError, StoreError
from pochta.server.api.info import resident_memory
from pochta.server.stats import RuntimeStats, count_ignored  # count_ignored: its old home
from pochta.store import Store

__all__ = [
    "Metrics",
    "MetricsServer",
    "RequestTimer",
    "count_ignored",
    "router",
    "serve_metrics",
]

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


class Metrics:
    """The metrics of one catcher, read from its store, counters and SMTP server."""

    def __init__(
        self, store: Store, stats: RuntimeStats, *, sessions: Callable[[], int] = lambda: 0
    ) -> None:
        self.store = store
        self.stats = stats
        self.sessions = sessions
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_Collector(self))
        self.request_seconds = Histogram(
            "pochta_http_request_duration_seconds",
            "Time to answer HTTP requests, by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """Return every metric in Prometheus's text format."""
        return generate_latest(self.registry)


class _Collector(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        stats = self._metrics.stats
        yield _gauge("mailpit_memory_usage_bytes", "Memory usage in bytes", resident_memory())
        yield _gauge("mailpit_uptime_seconds", "Uptime of Mailpit in seconds", stats.uptime())
        counters = (
            ("messages_deleted", "Total number of messages deleted", stats.messages_deleted),
            (
                "smtp_accepted_size_bytes",
                "Total size of accepted SMTP messages in bytes",
                stats.smtp_accepted_size,
            ),
            ("smtp_accepted", "Total number of SMTP messages accepted", stats.smtp_accepted),
            (
                "smtp_ignored",
                "Total number of SMTP messages ignored (duplicates)",
                stats.smtp_ignored,
            ),
            ("smtp_rejected", "Total number of SMTP messages rejected", stats.smtp_rejected),
        )
        for name, help, value in counters:
            yield CounterMetricFamily(f"mailpit_{name}", help, value=value)
        yield _gauge("pochta_smtp_sessions", "SMTP connections open now", self._metrics.sessions())
        yield from self._store_metrics()

    def _store_metrics(self) -> Iterator[Metric]:
        try:
            facts = self._metrics.store.info()
        except StoreError as error:
            logger.warning("metrics: the store cannot be read: %s", error)
            return
        yield _gauge(
            "mailpit_database_size_bytes", "Size of the database in bytes", facts.size_bytes
        )
        yield _gauge("mailpit_messages", "Total number of messages in the database", facts.total)
        yield _gauge(
            "mailpit_messages_unread", "Number of unread messages in the database", facts.unread
        )
        tags = GaugeMetricFamily(
            "mailpit_tag_messages", "Number of messages per tag", labels=["tag"]
        )
        for tag, count in sorted(facts.tags.items()):
            tags.add_metric([tag], count)
        yield tags
        yield _gauge(
            "pochta_index_backlog",
            "Messages stored but not yet parsed for search",
            facts.unindexed,
        )


def _gauge(name: str, help: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help, value=value)


class RequestTimer:
    """ASGI middleware that times every HTTP request into ``pochta_http_request_duration_seconds``.

    The route label is the route's path template (``/api/v1/message/{ID}``),
    never the path itself, so ids do not make new series.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        began = time.perf_counter()

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = scope.get("route")
            template = str(getattr(route, "path", "")) or "unmatched"
            labels = (scope.get("method", "?"), template, str(status))
            self.metrics.request_seconds.labels(*labels).observe(time.perf_counter() - began)


@router.get("/metrics")
def metrics_route(request: Request) -> Response:
    """Answer the metrics in Prometheus's text format (``--enable-prometheus true``)."""
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    if metrics is None:
        return Response(
            '{"Error":"metrics are off; start pochta serve with --enable-prometheus true"}',
            status_code=404,
            media_type="application/json",
        )
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


class MetricsServer:
    """The listener of ``--enable-prometheus HOST:PORT``, on a thread of its own."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.address = HostPort(str(host), int(port))

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def serve_metrics(address: HostPort, metrics: Metrics) -> MetricsServer:
    """Serve ``metrics`` at ``http://address/metrics``, or raise :class:`ServeError`."""
    try:
        server, thread = start_http_server(
            address.port, addr=address.host, registry=metrics.registry
        )
    except OSError as error:
        raise ServeError(
            f"cannot listen on {address} for metrics: {error.strerror or error}; give "
            f"--enable-prometheus another HOST:PORT (port 0 picks a free one), or true"
        ) from None
    return MetricsServer(server, thread)
