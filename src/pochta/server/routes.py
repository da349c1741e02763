"""The one route table and the HTTP application built around it (FastAPI).

:func:`create_app` builds the app from :data:`ROUTERS`, behind the request
guard. Importing this module imports FastAPI, pydantic, Jinja2 and every
route (about 0.6 s of CPU), so ``pochta serve`` imports it on a thread of its
own once SMTP answers (:mod:`pochta.server.front`); tests build apps with it
directly::

    app = create_app(store, allowed_hosts=["mail.test"])
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI

from pochta import __version__
from pochta.config import Settings
from pochta.server.api.chaos import router as chaos_router
from pochta.server.api.check import router as check_router
from pochta.server.api.error import install_error_handlers
from pochta.server.api.event import EventHubs
from pochta.server.api.event import router as events_router
from pochta.server.api.feature import Features
from pochta.server.api.health import router as health_router
from pochta.server.api.info import router as info_router
from pochta.server.api.login import Access, Login
from pochta.server.api.mailbox import MailboxPrefix
from pochta.server.api.mailbox import router as mailbox_router
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
from pochta.server.check import Checks, make_checks
from pochta.server.metrics import Metrics, RequestTimer
from pochta.server.metrics import router as metrics_router
from pochta.server.smtp.chaos import Chaos
from pochta.server.stats import RuntimeStats
from pochta.server.web import router as web_router
from pochta.store import Store
from pochta.store.mailbox import MailboxGrants

__all__ = ["ROUTERS", "app_for", "create_app"]

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
    mailbox_router,
    send_router,
    view_router,
    events_router,
    wait_router,
    chaos_router,
    web_router,
)


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
    app.state.events = EventHubs(store, stats=stats)
    app.state.checks = checks or Checks()
    app.state.grants = access.mailboxes if access is not None else MailboxGrants()
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
    # /mailbox/NAME/... is the app again, for mailbox NAME (inside --webroot's prefix).
    app.add_middleware(MailboxPrefix)
    if webroot != "/":
        app.add_middleware(WebRoot, root=webroot)
    return app


def app_for(
    store: Store,
    settings: Settings,
    *,
    features: Features,
    chaos: Chaos,
    access: Access | None,
    stats: RuntimeStats,
    metrics: Metrics | None,
    webroot: str = "/",
) -> FastAPI:
    """Build ``pochta serve``'s app from its settings (hosts, limits, checks, metrics).

    ``webroot`` is the prefix this app strips itself ("/": none, when a
    :class:`~pochta.server.api.webroot.WebRoot` in front of it does).
    """
    return create_app(
        store,
        allowed_hosts={settings.listen.host, *settings.allowed_host},
        send_limit=settings.max_message_size,
        features=features,
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
        webroot=webroot,
    )
