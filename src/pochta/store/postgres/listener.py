"""Changes between catchers: ``NOTIFY`` inside each change's transaction, ``LISTEN`` on a thread.

Every change the store commits also sends one or more notifications on the
channel :data:`CHANNEL`, in the same transaction, so PostgreSQL delivers
them exactly when (and only if) the change is committed. A payload is JSON:
``{"o": origin, "k": kind, "m": mailbox, "i": [ids]}`` (at most :data:`CHUNK`
ids, well below PostgreSQL's 8,000-byte limit; ``m`` is null for a change of
every mailbox). Each store object has its own random origin and ignores its
own notifications: it announced those changes itself.

:class:`Listener` holds one connection outside the pool, ``LISTEN``s and
hands each notification of another origin to a callback. When the
connection breaks it reconnects by itself (with a growing pause, at most
:data:`RETRY_MAX` seconds) and reports ``resync``: notifications sent
meanwhile are lost, so subscribers should reload what they show.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pochta.store.postgres.connection import redact

__all__ = ["CHANNEL", "CHUNK", "Listener", "Notice", "notify"]

logger = logging.getLogger(__name__)

#: The channel every catcher of one database notifies and listens on.
CHANNEL = "pochta_change"
#: Most ids in one notification.
CHUNK = 200
#: Longest pause, in seconds, between two attempts to reconnect.
RETRY_MAX = 2.0
#: Seconds between two probes of a quiet listening connection.
PROBE_EVERY = 5.0


@dataclass(frozen=True, slots=True)
class Notice:
    """One change another catcher committed: its kind, mailbox (None: all) and ids."""

    kind: str
    mailbox: str | None
    ids: tuple[str, ...]


def notify(
    connection: Any, origin: str, kind: str, ids_by_mailbox: Mapping[str | None, Sequence[str]]
) -> None:
    """Send the notifications of one change, inside the caller's transaction."""
    for mailbox, ids in ids_by_mailbox.items():
        chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)] or [[]]
        for chunk in chunks:
            payload = {"o": origin, "k": kind, "m": mailbox, "i": list(chunk)}
            connection.execute(
                "SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps(payload, separators=(",", ":")))
            )


def by_mailbox(rows: Iterable[tuple[str, str]]) -> dict[str | None, list[str]]:
    """Group ``(id, mailbox)`` rows by mailbox, keeping their order."""
    grouped: dict[str | None, list[str]] = {}
    for id, mailbox in rows:
        grouped.setdefault(mailbox, []).append(id)
    return grouped


class Listener:
    """A thread that listens for other catchers' changes and reports them."""

    def __init__(
        self,
        url: str,
        origin: str,
        heard: Callable[[Notice], None],
        connect: Callable[[], Any],
    ) -> None:
        """Start listening; ``heard`` runs on this thread for each notice of another origin."""
        self._url = url
        self._origin = origin
        self._heard = heard
        self._connect = connect
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._connection: Any = None
        self._thread = threading.Thread(
            target=self._run, name=f"pochta-listen {redact(url)}", daemon=True
        )
        self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the first ``LISTEN`` is in place; False if it is not after ``timeout``."""
        return self._ready.wait(timeout)

    def close(self) -> None:
        """Stop listening and close the connection."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        pause = 0.1
        first = True
        while not self._stop.is_set():
            try:
                connection = self._connect()
            except Exception as error:
                logger.warning("cannot listen for changes in %s: %s", redact(self._url), error)
                self._stop.wait(pause)
                pause = min(pause * 2, RETRY_MAX)
                continue
            pause = 0.1
            try:
                connection.execute(f"LISTEN {CHANNEL}")
                self._ready.set()
                if not first:  # what was sent while we were away is lost
                    self._heard(Notice("resync", None, ()))
                first = False
                self._listen(connection)
            except Exception as error:
                if not self._stop.is_set():
                    logger.warning("listening in %s stopped: %s", redact(self._url), error)
            finally:
                connection.close()

    def _listen(self, connection: Any) -> None:
        checked = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - checked > PROBE_EVERY:
                # A peer that vanished without closing the socket is found out here.
                connection.execute("SELECT 1")
                checked = time.monotonic()
            for notification in connection.notifies(timeout=0.5):
                notice = self._read(notification.payload)
                if notice is not None:
                    try:
                        self._heard(notice)
                    except Exception:
                        logger.exception("handling a change of another catcher failed")

    def _read(self, payload: str) -> Notice | None:
        try:
            data = json.loads(payload)
            if data["o"] == self._origin:
                return None
            mailbox = data["m"]
            return Notice(
                str(data["k"]),
                None if mailbox is None else str(mailbox),
                tuple(str(id) for id in data["i"]),
            )
        except (ValueError, KeyError, TypeError):
            logger.warning("ignored a malformed notification on %s: %.200r", CHANNEL, payload)
            return None
