"""``--webhook-url``: POST Mailpit's message summary JSON for each new message.

The request is Mailpit's: ``POST <url>`` with the ``MessageSummary`` of the
stored message (the websocket's ``new`` data, no trailing newline),
``Content-Type: application/json``, ``User-Agent: pochta/<version>`` and, with
``--label``, ``Mailpit-Label: <label>`` (receivers written for Mailpit read
it). Basic auth goes in the URL (``http://user:pass@host/hook``); log lines
show the URL with the password as ``***``.

A receiver can never slow ingest down. The store's subscriber only puts the
summary on a bounded queue (:data:`QUEUE_SIZE`); :data:`SENDERS` threads of
their own post from it, each waiting at most :data:`TIMEOUT` seconds. When
the queue is full the message is dropped and a log line says so. A failed
call (a 5xx answer or no answer) is tried again, :data:`ATTEMPTS` times in
all, then given up with a log line; a 4xx answer is not retried.

``--webhook-limit N`` posts at most N messages in any second (0: no limit)
and drops the rest, as Mailpit drops rather than queues; ``--webhook-delay S``
waits S seconds after a message arrives before posting it. (Mailpit's code
reads its limit as seconds between calls, despite its help's "per second";
pochta does what the help says. The two agree for the default, 1, and for 0.)
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import logging
import queue
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException, HTTPSConnection

from pochta import __version__
from pochta.server.api.shape import summary_json
from pochta.store import Store
from pochta.store.record import StoreEvent, Summary

__all__ = ["ATTEMPTS", "QUEUE_SIZE", "SENDERS", "TIMEOUT", "Webhook", "WebhookStats"]

logger = logging.getLogger(__name__)

QUEUE_SIZE = 1000
"""Messages waiting to be posted; more are dropped."""
SENDERS = 2
"""Threads posting at once: how many slow calls can be in flight."""
ATTEMPTS = 3
"""Tries of one message (the first and two retries) when the receiver fails."""
TIMEOUT = 5.0
"""Seconds one call may take (Mailpit's too)."""
_DROP_LOG_EVERY = 10.0


@dataclass(slots=True)
class WebhookStats:
    """What the webhook has done so far."""

    posted: int = 0
    failed: int = 0
    dropped_full: int = 0
    dropped_limit: int = 0


class Webhook:
    """Posts each new message's summary to ``url`` from threads of its own; see the module."""

    def __init__(
        self,
        url: str,
        *,
        limit: int = 1,
        delay: float = 0.0,
        label: str = "",
        queue_size: int = QUEUE_SIZE,
        senders: int = SENDERS,
        attempts: int = ATTEMPTS,
        timeout: float = TIMEOUT,
        retry_pause: float = 0.5,
    ) -> None:
        self.url = url
        self._target = urllib.parse.urlsplit(url)
        self._shown = _without_password(self._target)
        self.limit = limit
        self.delay = delay
        self.stats = WebhookStats()
        self._attempts = attempts
        self._retry_pause = retry_pause
        self._queue: queue.Queue[tuple[float, Summary] | None] = queue.Queue(queue_size)
        self._recent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self._last_drop_log = 0.0
        self._stopping = threading.Event()
        self._timeout = timeout
        self._headers = {"User-Agent": f"pochta/{__version__}", "Content-Type": "application/json"}
        if label:
            self._headers["Mailpit-Label"] = label
        if self._target.username is not None:  # http://user:pass@host/...: Basic auth
            user = urllib.parse.unquote(self._target.username)
            password = urllib.parse.unquote(self._target.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self._path = urllib.parse.urlunsplit(
            ("", "", self._target.path or "/", self._target.query, "")
        )
        self._threads = [
            threading.Thread(target=self._run, name=f"pochta-webhook-{n}", daemon=True)
            for n in range(senders)
        ]
        self._unsubscribe: Callable[[], None] | None = None

    def start(self, store: Store | None) -> None:
        """Start the senders, listening to ``store``'s new messages (None: only :meth:`offer`)."""
        for thread in self._threads:
            thread.start()
        if store is not None:
            self._unsubscribe = store.subscribe(self._heard)

    def _heard(self, event: StoreEvent) -> None:
        # Another catcher sharing the store calls the webhook of its own messages.
        if event.kind == "new" and event.summary is not None and not event.remote:
            self.offer(event.summary)

    def offer(self, summary: Summary) -> bool:
        """Queue ``summary`` to be posted; return False if it was dropped (limit or full queue)."""
        now = time.monotonic()
        with self._lock:
            if self.limit > 0:
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                if len(self._recent) >= self.limit:
                    self.stats.dropped_limit += 1
                    logger.debug("webhook: over --webhook-limit, %s not posted", summary.id)
                    return False
                self._recent.append(now)
            try:
                self._queue.put_nowait((now + self.delay, summary))
            except queue.Full:
                self.stats.dropped_full += 1
                self._log_full(summary, now)
                return False
        return True

    def _log_full(self, summary: Summary, now: float) -> None:
        if now - self._last_drop_log >= _DROP_LOG_EVERY or self.stats.dropped_full == 1:
            self._last_drop_log = now
            logger.warning(
                "webhook: %s is not keeping up; dropped %s (%d dropped so far)",
                self._shown,
                summary.id,
                self.stats.dropped_full,
            )

    def _connect(self) -> HTTPConnection:
        host, port = self._target.hostname or "", self._target.port
        if self._target.scheme == "https":
            context = ssl.create_default_context()
            return HTTPSConnection(host, port, timeout=self._timeout, context=context)
        return HTTPConnection(host, port, timeout=self._timeout)

    def _run(self) -> None:
        # One kept-alive connection per sender: the stdlib client costs the
        # event loop's GIL far less per call than a full-featured one.
        connection = self._connect()
        try:
            while True:
                item = self._queue.get()
                if item is None or self._stopping.is_set():
                    return
                due, summary = item
                wait = due - time.monotonic()
                if wait > 0 and self._stopping.wait(wait):
                    return
                self._post(connection, summary)
        finally:
            connection.close()

    def _call(self, connection: HTTPConnection, body: bytes) -> int:
        try:
            connection.request("POST", self._path, body=body, headers=self._headers)
            answer = connection.getresponse()
            answer.read(64 * 1024)  # the body is not used; a bounded read keeps the connection
            if answer.will_close or answer.length:
                connection.close()
            return answer.status
        except BaseException:
            connection.close()
            raise

    def _post(self, connection: HTTPConnection, summary: Summary) -> None:
        body = json.dumps(summary_json(summary), separators=(",", ":"), ensure_ascii=False)
        problem = ""
        for attempt in range(self._attempts):
            if attempt and self._stopping.wait(self._retry_pause * 2 ** (attempt - 1)):
                return
            try:
                status = self._call(connection, body.encode())
            except (OSError, HTTPException) as error:
                problem = f"{type(error).__name__}: {error}"
                continue
            if status < 300:
                with self._lock:
                    self.stats.posted += 1
                return
            problem = f"it answered {status}"
            if status < 500:
                break
        with self._lock:
            self.stats.failed += 1
        logger.warning("webhook: posting %s to %s failed: %s", summary.id, self._shown, problem)

    def close(self, timeout: float = TIMEOUT) -> None:
        """Stop listening, drop what is queued, wait for calls in flight (up to ``timeout``)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._stopping.set()
        with self._lock:
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
        for _ in self._threads:
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=1.0)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))


def _without_password(target: urllib.parse.SplitResult) -> str:
    """Return the URL for log lines: ``http://user:***@host/hook`` (no password to leak)."""
    if target.password is None:
        return target.geturl()
    user = target.netloc.rpartition("@")[0].partition(":")[0]
    host = target.netloc.rpartition("@")[2]
    return target._replace(netloc=f"{user}:***@{host}").geturl()
