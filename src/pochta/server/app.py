"""One process, one event loop: the store, the SMTP server and the HTTP server.

:func:`create_app` holds the one route table. :func:`start` brings the three
parts up in an order that never leaves half a server: the HTTP port is
bound first but not yet listened on (a port in use fails before anything
else happens, and a client that waits for the HTTP port is not let in early),
then the store is opened, then SMTP starts listening, then HTTP listens and
serves. So once the HTTP port answers, SMTP does too. Any failure
undoes what was done and raises :class:`~pochta.exceptions.ServeError` (or the
store's own error) with the fix in its message.

Example::

    catcher = await start(Settings(smtp=HostPort("127.0.0.1", 0),
                                   listen=HostPort("127.0.0.1", 0)),
                          database=tmp_path / "mail.db")
    print(catcher.smtp_address, catcher.http_address)
    await catcher.aclose()
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import socket
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from pochta import __version__
from pochta.config import HostPort, Settings
from pochta.exceptions import ConfigurationError, ServeError
from pochta.ingest.watch import Watcher, state_path
from pochta.server.api.chaos import router as chaos_router
from pochta.server.api.check import router as check_router
from pochta.server.api.error import install_error_handlers
from pochta.server.api.event import EventHub, RuntimeStats
from pochta.server.api.event import router as events_router
from pochta.server.api.feature import Features
from pochta.server.api.health import router as health_router
from pochta.server.api.info import router as info_router
from pochta.server.api.login import Access, Login, access_from
from pochta.server.api.message import router as messages_router
from pochta.server.api.model import describe_errors_as_400
from pochta.server.api.release import router as release_router
from pochta.server.api.search import router as search_router
from pochta.server.api.security import DEFAULT_BODY_LIMIT, RequestGuard
from pochta.server.api.send import DEFAULT_SEND_LIMIT
from pochta.server.api.send import router as send_router
from pochta.server.api.tag import router as tags_router
from pochta.server.api.view import router as view_router
from pochta.server.api.wait import router as wait_router
from pochta.server.api.webroot import WebRoot
from pochta.server.binding import bind, bound
from pochta.server.check import Checks, make_checks
from pochta.server.descriptor import raise_open_file_limit
from pochta.server.exposure import exposure_warnings
from pochta.server.extension import Extensions, start_extensions
from pochta.server.metrics import (
    Metrics,
    MetricsServer,
    RequestTimer,
    count_ignored,
    serve_metrics,
)
from pochta.server.metrics import router as metrics_router
from pochta.server.pop3.launch import pop3_address, start_pop3
from pochta.server.pop3.server import POP3Server
from pochta.server.smtp.chaos import Chaos
from pochta.server.smtp.delivery import chaos_from_settings, smtp_address, start_smtp
from pochta.server.smtp.server import SMTPServer
from pochta.server.tls import ui_tls_files
from pochta.server.web import router as web_router
from pochta.store import Store, open_store

__all__ = ["ROUTERS", "Catcher", "create_app", "exposure_warnings", "serve", "start"]

logger = logging.getLogger(__name__)

#: The route table: every router the HTTP server answers with, in order.
ROUTERS = (
    health_router,
    messages_router,
    release_router,
    search_router,
    tags_router,
    info_router,
    check_router,
    metrics_router,
    send_router,
    view_router,
    events_router,
    wait_router,
    chaos_router,
    web_router,
)

PRUNE_INTERVAL = 60.0
"""Seconds between two prunes by ``--max`` and ``--max-age`` (Mailpit: every minute)."""

SHUTDOWN_GRACE = 10.0
"""Seconds SMTP transactions and HTTP requests in flight get to finish on shutdown."""


def create_app(
    store: Store,
    *,
    allowed_hosts: Iterable[str] = (),
    body_limit: int = DEFAULT_BODY_LIMIT,
    send_limit: int = DEFAULT_SEND_LIMIT,
    features: Features | None = None,
    chaos: Chaos | None = None,
    access: Access | None = None,
    checks: Checks | None = None,
    stats: RuntimeStats | None = None,
    metrics: Metrics | None = None,
    metrics_route: bool = False,
    webroot: str = "/",
) -> FastAPI:
    """Build the HTTP application around ``store``: every route, behind the request guard.

    ``send_limit`` caps the body and the message of ``POST /api/v1/send``
    (``--max-message-size``); every other body is capped at ``body_limit``.
    ``features`` tells the routes of the relay, the label and the ingest pipeline;
    ``access`` who may log in; ``checks`` the link, spam, HTML and thumbnail
    checkers. With ``metrics`` every request is timed, and ``metrics_route``
    serves them at ``/metrics``. ``webroot`` (``/mail/``) puts every route under a prefix.
    """
    app = FastAPI(
        title="pochta",
        version=__version__,
        summary="Mail catcher API; v1 routes and fields follow Mailpit's API v1.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.store = store
    app.state.send_limit = send_limit
    app.state.features = features or Features()
    app.state.chaos = chaos or Chaos()  # /api/v1/chaos: off unless the SMTP server shares one
    app.state.events = EventHub(store, stats=stats)
    app.state.checks = checks or Checks()
    app.state.metrics = metrics if metrics_route else None
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    describe_errors_as_400(app)
    if access is not None and access.locked:
        app.add_middleware(Login, access=access)
    app.add_middleware(
        RequestGuard,
        allowed_hosts=allowed_hosts,
        body_limit=body_limit,
        route_limits={"/api/v1/send": max(send_limit, body_limit)},
    )
    if metrics is not None:
        app.add_middleware(RequestTimer, metrics=metrics)
    if webroot != "/":
        app.add_middleware(WebRoot, root=webroot)
    return app


class _HTTPServer(uvicorn.Server):
    """uvicorn's server, minus its signal handling: :class:`Catcher` owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


class Catcher:
    """A running ``pochta serve``: the store, the SMTP server and the HTTP server."""

    def __init__(
        self,
        store: Store,
        smtp: SMTPServer,
        http: _HTTPServer,
        sock: socket.socket,
        *,
        prune_interval: float = PRUNE_INTERVAL,
        pop3: POP3Server | None = None,
        extensions: Extensions | None = None,
    ) -> None:
        self.store = store
        self.extensions = extensions
        self.smtp_address = smtp_address(smtp)
        self.pop3_address = pop3_address(pop3) if pop3 is not None else None
        self.pop3_scheme = pop3.scheme if pop3 is not None else "pop3"
        self._pop3 = pop3
        self.http_address = bound(sock)
        self._smtp = smtp
        self._http = http
        self._http_task = asyncio.create_task(http.serve(sockets=[sock]))
        self._prune_task = asyncio.create_task(self._prune_forever(prune_interval))
        self.watcher: Watcher | None = None  # pochta serve --watch DIR, set by start()
        self.metrics_server: MetricsServer | None = None  # --enable-prometheus HOST:PORT
        self.scheme = "https" if http.config.ssl_certfile else "http"
        self.webroot = ""  # the --webroot prefix ("/mail/"), set by start()
        self._closed = False

    async def started(self) -> None:
        """Wait until the HTTP server answers (SMTP already does)."""
        while not self._http.started:
            if self._http_task.done():
                self._http_task.result()
                raise ServeError("the HTTP server stopped while starting")
            await asyncio.sleep(0.01)

    async def _prune_forever(self, interval: float) -> None:
        # The store prunes after each insert; this catches --max-age on a quiet store.
        while True:
            await asyncio.sleep(interval)
            try:
                pruned = await asyncio.to_thread(self.store.prune)
            except Exception:
                logger.exception("pruning the store failed; trying again in a minute")
            else:
                if pruned:
                    logger.info("pruned %d messages", pruned)

    async def aclose(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Stop accepting, let what is in flight finish, then close the store."""
        if self._closed:
            return
        self._closed = True
        self._prune_task.cancel()
        self._http.config.timeout_graceful_shutdown = int(grace)
        self._http.should_exit = True
        try:
            closing = [self._smtp.aclose(grace=grace), self._http_task]
            if self._pop3 is not None:
                closing.append(self._pop3.aclose(grace=grace))
            await asyncio.gather(*closing)
        finally:
            if self.watcher is not None:
                await asyncio.to_thread(self.watcher.close)
            if self.metrics_server is not None:
                await asyncio.to_thread(self.metrics_server.close)
            if self.extensions is not None:
                await asyncio.to_thread(self.extensions.close)
            await asyncio.to_thread(self.store.close)


async def start(
    settings: Settings, *, database: Path, prune_interval: float = PRUNE_INTERVAL
) -> Catcher:
    """Start SMTP and HTTP on this loop around the store at ``database``.

    Raises :class:`ServeError` (port in use, bad address), or the store's
    :class:`~pochta.exceptions.StoreError` / ``StoreFormatError``; nothing is
    left listening or open when it raises.
    """
    chaos = chaos_from_settings(settings)
    try:
        access = access_from(
            settings.ui_auth_file,
            settings.send_api_auth_file,
            send_accept_any=settings.send_api_auth_accept_any,
        )
        tls = ui_tls_files(settings.ui_tls_cert, settings.ui_tls_key)
    except ConfigurationError as error:
        raise ServeError(str(error)) from None
    stats = RuntimeStats()
    sock = bind(settings.listen, what="HTTP", flag="--listen")
    try:
        store = await asyncio.to_thread(
            # follow: rows other processes add (store email backend, pochta import) show live.
            open_store,
            database,
            max_messages=settings.max,
            max_age=settings.max_age,
            follow=True,
        )
    except BaseException:
        sock.close()
        raise
    extensions = None
    try:
        extensions = start_extensions(store, settings, os.environ)
        adeliver, deliver = count_ignored(
            extensions.pipeline.adeliver, extensions.pipeline.deliver, stats
        )
        smtp = await start_smtp(
            store,
            settings,
            state_dir=database.parent,
            deliver=adeliver,
            chaos=chaos,
            on_rejected=stats.rejected,
        )
    except BaseException:
        sock.close()
        if extensions is not None:
            await asyncio.to_thread(extensions.close)
        await asyncio.to_thread(store.close)
        raise
    try:
        pop3 = await start_pop3(store, settings, state_dir=database.parent)
    except BaseException:
        sock.close()
        await smtp.aclose(grace=0)
        await asyncio.to_thread(extensions.close)
        await asyncio.to_thread(store.close)
        raise
    hosts = {settings.listen.host, *settings.allowed_host}
    metrics = None
    if settings.enable_prometheus:
        metrics = Metrics(store, stats, sessions=lambda: smtp.session_count)
    config = uvicorn.Config(
        create_app(
            store,
            allowed_hosts=hosts,
            send_limit=settings.max_message_size,
            features=dataclasses.replace(extensions.features, deliver=deliver),
            chaos=chaos,
            access=access,
            checks=make_checks(
                spamd=settings.enable_spamassassin,
                allow_internal=settings.allow_internal_http_requests,
                verify_tls=not settings.allow_untrusted_tls,
            ),
            stats=stats,
            metrics=metrics,
            metrics_route=settings.enable_prometheus is True,
            webroot=settings.webroot,
        ),
        ssl_certfile=tls[0],
        ssl_keyfile=tls[1],
        log_config=None,
        access_log=settings.verbose,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=int(SHUTDOWN_GRACE),
    )
    catcher = Catcher(
        store,
        smtp,
        _HTTPServer(config),
        sock,
        prune_interval=prune_interval,
        pop3=pop3,
        extensions=extensions,
    )
    try:
        if settings.watch:
            catcher.watcher = Watcher(store, settings.watch, state_file=state_path(database))
            catcher.watcher.start()
        catcher.webroot = settings.webroot if settings.webroot != "/" else ""
        if metrics is not None and isinstance(settings.enable_prometheus, HostPort):
            catcher.metrics_server = serve_metrics(settings.enable_prometheus, metrics)
        await catcher.started()
    except BaseException:
        await catcher.aclose(grace=0)
        raise
    return catcher


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[Path]:
    if not settings.temp:
        yield settings.database
        return
    with tempfile.TemporaryDirectory(prefix="pochta-") as folder:
        yield Path(folder) / "mail.db"


async def serve(settings: Settings, *, on_ready: Callable[[Catcher], None] | None = None) -> None:
    """Run ``pochta serve`` until SIGINT (Ctrl-C) or SIGTERM, then shut down cleanly.

    ``on_ready`` is called once both servers answer (the CLI prints the
    addresses there). On a signal: stop accepting, let SMTP transactions and
    HTTP requests in flight finish (up to :data:`SHUTDOWN_GRACE` seconds, then
    ``421``), close the store, and return.
    """
    raise_open_file_limit()  # hundreds of SMTP clients at once; see server/descriptor.py
    with _database(settings) as database:
        catcher = await start(settings, database=database)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            if on_ready is not None:
                on_ready(catcher)
            await stop.wait()
            logger.info("stopping: finishing what is in flight")
        finally:
            try:
                await catcher.aclose()
            finally:
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(signum)
