"""Live events on ``/api/events`` (WebSocket), in Mailpit's names and shapes.

Each frame is one JSON object, ``{"Type": ..., "Data": ...}``:

========== =====================================================================
``new``    ``Data`` is the new message's ``MessageSummary`` (as in the list)
``update`` ``{"ID", "Read", "Tags"}`` of a message whose read flag or tags changed
``delete`` ``{"ID"}`` of a deleted message
``truncate`` ``null``: every message was deleted
``prune``  ``{"IDs": [...]}``: these went at once (``--max``, ``--max-age``, a
           large delete or update); a client reloads its list
``stats``  ``{"Total", "Unread", "Version"}``, at most four times a second
========== =====================================================================

The store calls its subscribers on its writer thread (or the caller's); the
hub hops to the event loop with ``call_soon_threadsafe`` and never blocks the
store. Each client has a bounded queue: a client that falls that far behind
is disconnected (close code 1013), the others go on.

A browser page on another origin must never read mail through this socket
(Mailpit's CVE-2026-22689): the request guard refuses, before the handshake
is accepted, any ``Origin`` whose host and port are not the ``Host`` the
request was sent to; the route checks it once more. Clients that send no
``Origin`` (scripts, not browsers) are served.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from pochta import __version__
from pochta.exceptions import MessageNotFound, StoreError
from pochta.server.api.dependency import MAILBOX_KEY
from pochta.server.api.shape import summary_json
from pochta.server.stats import RuntimeStats  # here too: its old home
from pochta.store import Store, StoreEvent
from pochta.store.mailbox import DEFAULT_MAILBOX

__all__ = [
    "BULK",
    "MAX_HUBS",
    "QUEUE_SIZE",
    "STATS_DELAY",
    "EventHub",
    "EventHubs",
    "RuntimeStats",
    "frame",
    "router",
    "same_origin",
]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["events"])

#: Frames a client may have waiting before it is disconnected as too slow.
QUEUE_SIZE = 256
#: A change to more messages than this is sent as one ``prune`` frame.
BULK = 200
#: Seconds between a change and the ``stats`` frame that follows it.
STATS_DELAY = 0.25
#: Mailboxes whose hubs are kept at once.
MAX_HUBS = 256
_TOO_SLOW = 1013  # "try again later"


@dataclass(eq=False)
class _Client:
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: asyncio.Event = field(default_factory=asyncio.Event)


def frame(kind: str, data: object) -> str:
    """Return one event as the JSON text a client receives."""
    return json.dumps({"Type": kind, "Data": data}, separators=(",", ":"))


class EventHub:
    """Hears the store's changes and sends them to every connected client."""

    def __init__(self, store: Store, *, stats: RuntimeStats | None = None) -> None:
        self.store = store
        self.stats = stats or RuntimeStats()
        self._lock = threading.Lock()
        self._clients: set[_Client] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._events: asyncio.Queue[StoreEvent] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._stats_due: asyncio.TimerHandle | None = None
        with contextlib.suppress(StoreError):
            self.stats.known_total = store.count()[0]
        self.unsubscribe = store.subscribe(self._heard)

    # -- on the store's threads ------------------------------------------------

    def _heard(self, event: StoreEvent) -> None:
        self._count(event)
        loop, events = self._loop, self._events
        if loop is None or events is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed
            loop.call_soon_threadsafe(events.put_nowait, event)

    def _count(self, event: StoreEvent) -> None:
        with self._lock:
            stats = self.stats
            if event.kind == "new":
                # SMTP's accepted count is taken at delivery (server/stats.py).
                stats.known_total += 1
            elif event.kind in ("delete", "prune"):
                stats.messages_deleted += 0 if event.remote else len(event.ids)
                stats.known_total = max(0, stats.known_total - len(event.ids))
            elif event.kind == "truncate":
                stats.messages_deleted += stats.known_total
                stats.known_total = 0

    # -- on the event loop -----------------------------------------------------

    @property
    def clients(self) -> int:
        """Return how many clients are connected."""
        return len(self._clients)

    def join(self) -> _Client:
        """Register a client; start listening when it is the first."""
        if self._pump is None or self._pump.done():
            self._loop = asyncio.get_running_loop()
            self._events = asyncio.Queue()
            self._pump = asyncio.create_task(self._run(self._events))
        client = _Client()
        self._clients.add(client)
        return client

    def leave(self, client: _Client) -> None:
        """Forget a client; stop listening when none is left."""
        self._clients.discard(client)
        if not self._clients:
            self._stop()

    def _stop(self) -> None:
        self._loop = self._events = None
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        if self._stats_due is not None:
            self._stats_due.cancel()
            self._stats_due = None

    def broadcast(self, texts: Iterable[str]) -> None:
        """Queue ``texts`` for every client; drop a client whose queue is full."""
        for text in texts:
            for client in list(self._clients):
                try:
                    client.queue.put_nowait(text)
                except asyncio.QueueFull:
                    logger.warning(
                        "an events client fell %d frames behind; closing it", QUEUE_SIZE
                    )
                    self._clients.discard(client)
                    client.dropped.set()

    async def _run(self, events: asyncio.Queue[StoreEvent]) -> None:
        while True:
            event = await events.get()
            try:
                self.broadcast(await self._frames(event))
            except Exception:
                logger.exception("could not send the %s event", event.kind)
            self._stats_soon()

    async def _frames(self, event: StoreEvent) -> list[str]:
        ids = list(event.ids)
        if event.kind == "new" and event.summary is not None:
            return [frame("new", summary_json(event.summary))]
        if event.kind == "truncate":
            return [frame("truncate", None)]
        if event.kind in ("prune", "resync") or len(ids) > BULK:
            return [frame("prune", {"IDs": ids})]
        if event.kind == "delete":
            return [frame("delete", {"ID": id}) for id in ids]
        if event.kind == "update":
            return await run_in_threadpool(self._updates, ids)
        return []

    def _updates(self, ids: list[str]) -> list[str]:
        texts = []
        for id in ids:
            try:
                summary = self.store.summary(id)
            except MessageNotFound:
                continue  # deleted since; its delete frame follows
            texts.append(
                frame("update", {"ID": id, "Read": summary.read, "Tags": [*summary.tags]})
            )
        return texts

    def _stats_soon(self) -> None:
        if self._stats_due is None and self._loop is not None:
            self._stats_due = self._loop.call_later(STATS_DELAY, self._send_stats)

    def _send_stats(self) -> None:
        self._stats_due = None
        task = asyncio.ensure_future(run_in_threadpool(self.store.count))

        def done(task: asyncio.Future[tuple[int, int]]) -> None:
            if task.cancelled() or task.exception() is not None:
                return
            total, unread = task.result()
            self.broadcast(
                [frame("stats", {"Total": total, "Unread": unread, "Version": __version__})]
            )

        task.add_done_callback(done)


def same_origin(headers: Mapping[str, str]) -> bool:
    """Tell whether a request's ``Origin`` (if any) names the ``Host`` it was sent to."""
    origin = headers.get("origin")
    if origin is None:
        return True
    return bool(urlsplit(origin).netloc.lower() == headers.get("host", "").lower())


async def _serve(websocket: WebSocket, client: _Client) -> None:
    async def read() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    async def write() -> None:
        while True:
            await websocket.send_text(await client.queue.get())

    tasks = [asyncio.ensure_future(x) for x in (read(), write(), client.dropped.wait())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if client.dropped.is_set():
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(_TOO_SLOW, "too slow; reconnect"), 5)


class EventHubs:
    """One :class:`EventHub` per mailbox, made when first asked for.

    At most :data:`MAX_HUBS` are kept; beyond that, hubs without clients are
    dropped (their counters start again if they are asked for later).
    """

    def __init__(self, store: Store, *, stats: RuntimeStats | None = None) -> None:
        self.store = store
        # The default mailbox's from the start, with the server's counters
        # (``stats``): /api/v1/info at the root counts since then.
        self._hubs: dict[str, EventHub] = {
            DEFAULT_MAILBOX: EventHub(store.mailbox(DEFAULT_MAILBOX), stats=stats)
        }
        self._lock = threading.Lock()

    def of(self, mailbox: str) -> EventHub:
        """Return the hub of ``mailbox``."""
        with self._lock:
            hub = self._hubs.get(mailbox)
            if hub is None:
                if len(self._hubs) >= MAX_HUBS:
                    self._drop_idle()
                hub = self._hubs[mailbox] = EventHub(self.store.mailbox(mailbox))
            return hub

    def _drop_idle(self) -> None:
        for name, hub in list(self._hubs.items()):
            if not hub.clients and name != DEFAULT_MAILBOX:
                hub.unsubscribe()
                del self._hubs[name]


@router.websocket("/api/events")
async def events(websocket: WebSocket) -> None:
    """Send the store's changes as they happen (see the module's table)."""
    if not same_origin(websocket.headers):
        await websocket.close(code=1008)
        return
    hubs = cast(EventHubs, websocket.app.state.events)
    hub = hubs.of(cast(str, websocket.scope.get(MAILBOX_KEY, DEFAULT_MAILBOX)))
    # Listen before the handshake completes: whatever the client does once it
    # is connected is then sure to be heard.
    client = hub.join()
    try:
        await websocket.accept()
        await _serve(websocket, client)
    finally:
        hub.leave(client)
