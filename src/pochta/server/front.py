"""The HTTP side of ``pochta serve`` while its API loads: uvicorn, probes first, the API later.

Importing FastAPI, pydantic, Jinja2 and the routes (:mod:`pochta.server.routes`)
is most of ``pochta serve``'s start, so it does not stand between the exec and
the ports answering. Once SMTP listens, uvicorn serves :class:`Front`, a small
ASGI app, and a thread imports the API (:func:`load_api`):

- ``GET /livez`` and ``GET /readyz`` are answered by the front at once (behind
  the same Host check as every route; ``/readyz`` asks the store for its
  count, as the route does), so a probe or a test fixture goes on while the
  API is still loading;
- any other request is held until the API is attached, then handed to it
  (a few hundred milliseconds at most, once); a request held when the load
  failed, or when the server stops first, gets 503 with the reason.

:class:`HTTPServer` is uvicorn's server as ``pochta serve`` runs it: it takes
no signals (the :class:`~pochta.server.app.Catcher` owns them) and stops
within milliseconds of being told (uvicorn itself polls every 0.1 s and sleeps
0.1 s more before closing connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from pochta.exceptions import StoreError
from pochta.server.api.security import RequestGuard
from pochta.store import Store

__all__ = ["PROBES", "Front", "HTTPServer", "http_server", "load_api"]

logger = logging.getLogger(__name__)

#: The paths the front answers itself; every other one waits for the API.
PROBES = frozenset({"/livez", "/readyz"})
_POLL = 0.005  # seconds between two looks at connections still open on shutdown


class Front:
    """The app uvicorn serves: probes at once, the rest by the API once :meth:`attach` ed."""

    def __init__(self, store: Store, *, allowed_hosts: Iterable[str]) -> None:
        """Answer probes about ``store`` for the Host names in ``allowed_hosts``."""
        self._store = store
        self._app: ASGIApp | None = None
        self._refusal = ""
        self._done = asyncio.Event()
        self._probes = RequestGuard(self._probe, allowed_hosts=allowed_hosts)

    @property
    def loaded(self) -> bool:
        """Tell whether the API is attached (every request goes to it)."""
        return self._app is not None

    def attach(self, app: ASGIApp) -> None:
        """Hand every request from now on, and those held, to ``app``."""
        self._app = app
        self._done.set()

    def refuse(self, reason: str) -> None:
        """Answer held and later requests 503 with ``reason`` (the load failed, or stopping)."""
        if self._app is None:
            self._refusal = reason
            self._done.set()

    async def wait(self) -> None:
        """Return once the API is attached or refused."""
        await self._done.wait()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request or websocket."""
        if self._app is None and scope["type"] == "http":
            if scope["path"] in PROBES and scope["method"] == "GET" and not self._refusal:
                await self._probes(scope, receive, send)
                return
            await self._done.wait()
        elif self._app is None:
            await self._done.wait()
        if self._app is None:
            await _refuse(scope, send, self._refusal)
            return
        await self._app(scope, receive, send)

    async def _probe(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/readyz":
            try:
                await asyncio.to_thread(self._store.count)
            except StoreError:
                await self._done.wait()  # the API's route says why, in its own words
                await self(scope, receive, send)
                return
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"2")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})


async def _refuse(scope: Scope, send: Send, reason: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1013})
        return
    body = json.dumps({"Error": reason}).encode()  # the API's one error shape
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def load_api(
    loop: asyncio.AbstractEventLoop, front: Front, build: Callable[[ModuleType], ASGIApp]
) -> threading.Thread:
    """Import :mod:`pochta.server.routes` on a daemon thread, then attach ``build(routes)``.

    ``build`` runs on the event loop (it creates the app's loop-bound parts);
    a failure is logged and refuses the held requests with its reason.
    """

    def attach(module: ModuleType | None, error: BaseException | None) -> None:
        try:
            if error is not None:
                raise error
            assert module is not None
            front.attach(build(module))
            # What start-up made (modules, the app) lives as long as the process: out of
            # the cyclic collector's sight, so its full passes under load stay short.
            gc.freeze()
        except Exception as failure:
            logger.error("the HTTP API could not be loaded: %s", failure, exc_info=failure)
            front.refuse(f"the API could not be loaded: {failure}")

    def run() -> None:
        try:
            module, error = importlib.import_module("pochta.server.routes"), None
        except BaseException as failure:  # reported on the loop, in the held requests
            module, error = None, failure
        with contextlib.suppress(RuntimeError):  # the loop closed first: nothing to attach
            loop.call_soon_threadsafe(attach, module, error)

    thread = threading.Thread(target=run, name="pochta-load-api", daemon=True)
    thread.start()
    return thread


class HTTPServer(uvicorn.Server):
    """uvicorn's server that takes no signals and stops as soon as it is told."""

    def __init__(self, config: uvicorn.Config) -> None:
        """Serve ``config``'s app; :meth:`stop` ends it."""
        super().__init__(config)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Stop accepting now, and end once the requests in flight are answered."""
        self.should_exit = True
        self._stopping.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Take no signals: the Catcher owns SIGINT and SIGTERM."""
        yield

    async def main_loop(self) -> None:
        """Wait for :meth:`stop`, refreshing the Date header every second meanwhile."""
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # on_tick refreshes the date every 10th tick
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Close the listeners and idle connections, then wait for the rest (up to the grace)."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        grace = self.config.timeout_graceful_shutdown  # None: no limit, as in uvicorn
        deadline = loop.time() + (grace if grace is not None else float("inf"))
        while (state.connections or state.tasks) and not self.force_exit:
            if loop.time() >= deadline:
                for task in state.tasks:
                    task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
                break
            await asyncio.sleep(_POLL)
        for server in self.servers:
            await server.wait_closed()


def http_server(
    app: ASGIApp, *, tls: tuple[str | None, str | None], verbose: bool, grace: float
) -> HTTPServer:
    """Return the server of ``app``: ``tls`` (cert, key) may be Nones; access log if verbose."""
    config = uvicorn.Config(
        app,
        ssl_certfile=tls[0],
        ssl_keyfile=tls[1],
        log_config=None,
        access_log=verbose,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=int(grace),
    )
    return HTTPServer(config)
