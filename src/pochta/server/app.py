"""One process, one event loop: the store, the SMTP server and the HTTP server.

:func:`start` brings the three parts up in an order that never leaves half
a server: the HTTP port is bound first but not yet listened on (a port in use
fails before anything else happens, and a client that waits for the HTTP port
is not let in early), then the store is opened, then SMTP starts listening,
then HTTP listens and serves. So once the HTTP port answers, SMTP does too.
Any failure undoes what was done and raises
:class:`~pochta.exceptions.ServeError` (or the store's own error) with the fix
in its message.

Nothing of FastAPI is imported here: SMTP answers within a few hundred
milliseconds of the exec, and HTTP serves its probes right after, while a
thread imports the API (:mod:`pochta.server.front`; the route table and
:func:`create_app` are in :mod:`pochta.server.routes`, and are still
importable from here).

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
import gc
import logging
import os
import signal
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pochta.config import DEFAULT_DATABASE, HostPort, Settings
from pochta.exceptions import ConfigurationError, ServeError
from pochta.server.api.feature import Features
from pochta.server.api.login import Access, access_from
from pochta.server.api.webroot import WebRoot
from pochta.server.binding import bind, bound
from pochta.server.descriptor import raise_open_file_limit
from pochta.server.exposure import exposure_warnings
from pochta.server.extension import Extensions, start_extensions
from pochta.server.smtp.chaos import Chaos
from pochta.server.smtp.delivery import chaos_from_settings, smtp_address, start_smtp
from pochta.server.smtp.server import SMTPServer
from pochta.server.stats import RuntimeStats, count_ignored
from pochta.server.tls import ui_tls_files
from pochta.store import Store, open_store
from pochta.store.mailbox import MailboxGrants
from pochta.store.postgres.connection import is_postgres_url

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp

    from pochta.ingest.watch import Watcher
    from pochta.server.front import Front, HTTPServer
    from pochta.server.metrics import Metrics, MetricsServer
    from pochta.server.pop3.server import POP3Server
    from pochta.server.routes import ROUTERS as ROUTERS
    from pochta.server.routes import create_app as create_app

__all__ = ["ROUTERS", "Catcher", "create_app", "exposure_warnings", "serve", "start"]

logger = logging.getLogger(__name__)

PRUNE_INTERVAL = 60.0
"""Seconds between two prunes by ``--max`` and ``--max-age`` (Mailpit: every minute)."""

SHUTDOWN_GRACE = 10.0
"""Seconds SMTP transactions and HTTP requests in flight get to finish on shutdown."""


def __getattr__(name: str) -> Any:
    # ROUTERS and create_app moved to server/routes.py (FastAPI loads late); old imports work.
    if name in ("ROUTERS", "create_app"):
        from pochta.server import routes

        return getattr(routes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Catcher:
    """A running ``pochta serve``: the store, the SMTP server and the HTTP server."""

    def __init__(
        self,
        store: Store,
        smtp: SMTPServer,
        http: HTTPServer,
        sock: socket.socket,
        *,
        front: Front | None = None,
        prune_interval: float = PRUNE_INTERVAL,
        pop3: POP3Server | None = None,
        extensions: Extensions | None = None,
    ) -> None:
        self.store = store
        self.extensions = extensions
        self.smtp_address = smtp_address(smtp)
        self.pop3_address = _pop3_address(pop3)
        self.pop3_scheme = pop3.scheme if pop3 is not None else "pop3"
        self._pop3 = pop3
        self.http_address = bound(sock)
        self.front = front
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
        """Wait until the HTTP server answers (SMTP already does); its API may still load."""
        while not self._http.started:
            if self._http_task.done():
                self._http_task.result()
                raise ServeError("the HTTP server stopped while starting")
            await asyncio.sleep(0.005)

    async def loaded(self) -> None:
        """Wait until the HTTP API is attached (or failed to load) as well."""
        if self.front is not None:
            await self.front.wait()

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
        if self.front is not None:
            self.front.refuse("pochta serve is stopping")
        self._http.config.timeout_graceful_shutdown = int(grace)
        self._http.stop()
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


def state_folder(database: Path | str) -> Path:
    """Return where a catcher keeps its own files (a self-signed certificate, --watch's state).

    Beside an SQLite file; for a PostgreSQL store, ``.pochta/`` in this folder.
    """
    if isinstance(database, str) and is_postgres_url(database):
        folder = DEFAULT_DATABASE.parent
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return Path(database).parent


async def start(
    settings: Settings, *, database: Path | str, prune_interval: float = PRUNE_INTERVAL
) -> Catcher:
    """Start SMTP and HTTP on this loop around the store at ``database`` (a file or a URL).

    Returns once both answer; the HTTP API may still be loading
    (:meth:`Catcher.loaded`), its requests held until it is. Raises
    :class:`ServeError` (port in use, bad address), or the store's
    :class:`~pochta.exceptions.StoreError` / ``StoreFormatError``; nothing is
    left listening or open when it raises.
    """
    chaos = chaos_from_settings(settings)
    access, tls = _access_and_tls(settings)
    stats = RuntimeStats()
    sock = bind(settings.listen, what="HTTP", flag="--listen")
    try:
        store = await asyncio.to_thread(
            # follow: rows other processes add (store email backend, pochta import) show live.
            open_store,
            database,
            max_messages=settings.max,
            max_age=settings.max_age,
            durability=settings.durability,  # what a 250 waits for: docs/store.md
            follow=True,
            ingest_process=True,  # a SQLite store commits SMTP's messages in a child process
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
            state_dir=state_folder(database),
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
        pop3 = None
        if settings.pop3_address is not None:
            from pochta.server.pop3.launch import start_pop3  # only with --pop3

            pop3 = await start_pop3(store, settings, state_dir=state_folder(database))
    except BaseException:
        sock.close()
        await smtp.aclose(grace=0)
        await asyncio.to_thread(extensions.close)
        await asyncio.to_thread(store.close)
        raise
    features = dataclasses.replace(extensions.features, deliver=deliver)
    api = _API(store, settings, features, chaos, access, stats)
    from pochta.server.front import http_server, load_api  # uvicorn: after SMTP answers

    app, front, metrics = _http_app(api, smtp)
    catcher = Catcher(
        store,
        smtp,
        http_server(app, tls=tls, verbose=settings.verbose, grace=SHUTDOWN_GRACE),
        sock,
        front=front,
        prune_interval=prune_interval,
        pop3=pop3,
        extensions=extensions,
    )
    try:
        if settings.watch:
            catcher.watcher = _watcher(store, settings, database)
            catcher.watcher.start()
        catcher.webroot = settings.webroot if settings.webroot != "/" else ""
        if metrics is not None and isinstance(settings.enable_prometheus, HostPort):
            from pochta.server.metrics import serve_metrics

            catcher.metrics_server = serve_metrics(settings.enable_prometheus, metrics)
        await catcher.started()
        if front is not None:
            load_api(asyncio.get_running_loop(), front, api.build)  # then gc.freeze()
        else:
            gc.freeze()  # see load_api: what start-up made stays out of the collector's way
    except BaseException:
        await catcher.aclose(grace=0)
        raise
    return catcher


def _access_and_tls(settings: Settings) -> tuple[Access | None, tuple[str | None, str | None]]:
    """Return the logins (``--ui-auth-file``...) and the HTTPS files; ServeError if unfit."""
    try:
        access = access_from(
            settings.ui_auth_file,
            settings.send_api_auth_file,
            send_accept_any=settings.send_api_auth_accept_any,
            mailboxes=MailboxGrants(settings.ui_mailbox),
        )
        return access, ui_tls_files(settings.ui_tls_cert, settings.ui_tls_key)
    except ConfigurationError as error:
        raise ServeError(str(error)) from None


def _http_app(api: _API, smtp: SMTPServer) -> tuple[ASGIApp, Front | None, Metrics | None]:
    """Return what HTTP serves: the API at once with metrics, else the front that loads it."""
    from pochta.server.front import Front

    settings, store = api.settings, api.store
    if settings.enable_prometheus:  # the metrics (prometheus_client, FastAPI) are wanted at once
        from pochta.server import routes
        from pochta.server.metrics import Metrics

        metrics = Metrics(store, api.stats, sessions=lambda: smtp.session_count)
        return api.build(routes, metrics, webroot=settings.webroot), None, metrics
    front = Front(store, allowed_hosts={settings.listen.host, *settings.allowed_host})
    # The prefix comes off in front of the front, so the API attached later has none.
    app = front if settings.webroot == "/" else WebRoot(front, root=settings.webroot)
    return app, front, None


def _watcher(store: Store, settings: Settings, database: Path | str) -> Watcher:
    """Return the (unstarted) importer of what appears in ``--watch``'s folders."""
    from pochta.ingest.watch import Watcher, state_path

    # A PostgreSQL store's catchers remember --watch's imports in .pochta/.
    watched = Path(database) if isinstance(database, Path) else None
    state = state_path(watched or state_folder(database) / "postgresql")
    return Watcher(store, settings.watch, state_file=state)


@dataclasses.dataclass(frozen=True, slots=True)
class _API:
    """How the HTTP API is built: the store, the settings, and what SMTP shares with it."""

    store: Store
    settings: Settings
    features: Features
    chaos: Chaos
    access: Access | None
    stats: RuntimeStats

    def build(
        self, routes: ModuleType, metrics: Metrics | None = None, *, webroot: str = "/"
    ) -> FastAPI:
        """Return the app, from :mod:`pochta.server.routes` (passed in: it loads late)."""
        app: FastAPI = routes.app_for(
            self.store,
            self.settings,
            features=self.features,
            chaos=self.chaos,
            access=self.access,
            stats=self.stats,
            metrics=metrics,
            webroot=webroot,
        )
        return app


def _pop3_address(pop3: POP3Server | None) -> HostPort | None:
    if pop3 is None:
        return None
    from pochta.server.pop3.launch import pop3_address

    return pop3_address(pop3)


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[Path | str]:
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
            # After start-up, which the import of ctypes (about 10 ms) would hold up.
            from pochta.server.allocation import map_large_allocations

            map_large_allocations()  # a large message's memory goes back; server/allocation.py
            await stop.wait()
            logger.info("stopping: finishing what is in flight")
        finally:
            try:
                await catcher.aclose()
            finally:
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(signum)
