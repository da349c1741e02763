"""The queue file: one SQLite database of messages waiting to be delivered.

Every change is one short transaction, committed with ``synchronous=FULL``
before the call returns, so a message :meth:`MailQueue.enqueue` accepted
survives a crash or a power cut. Several processes may share one file:
claims take SQLite's write lock (``BEGIN IMMEDIATE``), so no two workers
lease the same message.

A lease names its owner (``host:pid:name``) and ends at ``lease_until``.
A message whose lease ran out, or whose owner was a process of this machine
that is gone, is claimed again: a worker killed mid-send costs a second
delivery, never a lost message (at least once).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pochta.exceptions import ConfigurationError
from pochta.mail.queue.lease import dead_owners
from pochta.mail.queue.record import QueueCounts, QueuedMessage, State
from pochta.mail.submission import Submission

__all__ = ["Claim", "MailQueue"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    rcpt_tos TEXT NOT NULL,
    content BLOB NOT NULL,
    backend TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    queued_at REAL NOT NULL,
    next_try REAL,
    lease_owner TEXT,
    lease_until REAL,
    sent_at REAL,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS message_due ON message (state, next_try);
PRAGMA user_version = 1;
"""
_VERSION = 1
_COLUMNS = (
    "id, message_id, mail_from, rcpt_tos, backend, state, attempts, max_attempts,"
    " length(content), queued_at, next_try, sent_at, last_error"
)


def _row(values: Sequence[Any]) -> QueuedMessage:
    return QueuedMessage(
        id=int(values[0]),
        message_id=str(values[1]),
        mail_from=str(values[2]),
        rcpt_tos=tuple(json.loads(str(values[3]))),
        backend=str(values[4]),
        state=State(values[5]),
        attempts=int(values[6]),
        max_attempts=int(values[7]),
        size=int(values[8]),
        queued_at=float(values[9]),
        next_try=None if values[10] is None else float(values[10]),
        sent_at=None if values[11] is None else float(values[11]),
        last_error=str(values[12]),
    )


@dataclass(frozen=True, slots=True)
class Claim:
    """A message leased to one worker: the row, its bytes and the lease's owner."""

    message: QueuedMessage
    content: bytes
    owner: str

    @property
    def submission(self) -> Submission:
        """The envelope and bytes, as a backend is handed them."""
        return Submission(self.message.mail_from, list(self.message.rcpt_tos), self.content)


class MailQueue:
    """The queue file at ``path``; use :func:`pochta.mail.queue.open_queue` to get one.

    Thread-safe: one connection, one lock. Close it with :meth:`close` (or a
    ``with`` block).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ConfigurationError(
                f"EMAIL_QUEUE_PATH '{self.path}' is a folder; give a file, e.g. .pochta/queue.db"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigurationError(
                f"cannot make the folder of EMAIL_QUEUE_PATH '{self.path}' ({error}); "
                "give a path you can write to"
            ) from None
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        try:
            self._db.execute("PRAGMA synchronous=FULL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:  # a new file: only then pay for the writes of the schema
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.executescript(_SCHEMA)
            elif version != _VERSION:
                raise sqlite3.DatabaseError(f"its format is version {version}, not {_VERSION}")
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise ConfigurationError(
                f"EMAIL_QUEUE_PATH '{self.path}' is not a pochta queue ({error}); "
                "give another file"
            ) from None

    def __enter__(self) -> MailQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file; everything committed is on disk already."""
        with self._lock:
            self._db.close()

    def _write(self, sql: str, params: Sequence[object] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    # -- putting messages in -------------------------------------------------

    def enqueue(
        self, submissions: Iterable[Submission], *, backend: str, max_attempts: int
    ) -> list[int]:
        """Queue every submission in one transaction; return their ids once on disk."""
        if max_attempts < 1:
            raise ConfigurationError(
                f"EMAIL_QUEUE_MAX_ATTEMPTS {max_attempts!r} must be at least 1; give e.g. 8"
            )
        now = time.time()
        rows = [
            (s.message_id, s.mail_from, json.dumps(s.rcpt_tos), s.content) for s in submissions
        ]
        ids: list[int] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for row in rows:
                    cursor = self._db.execute(
                        "INSERT INTO message (message_id, mail_from, rcpt_tos, content, backend,"
                        " state, max_attempts, queued_at, next_try)"
                        " VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                        (*row, backend, max_attempts, now, now),
                    )
                    ids.append(int(cursor.lastrowid or 0))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return ids

    # -- the worker's side ---------------------------------------------------

    def claim(self, owner: str, *, lease: float, message: int | None = None) -> Claim | None:
        """Lease the message due first to ``owner`` for ``lease`` seconds; None if none is due.

        With ``message``, lease that pending message whenever it is due (a
        Django task asks for its own message). The claim counts as an
        attempt. A message whose last attempt was cut off (its worker died)
        is marked failed instead of being tried again.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                claim = self._claim(owner, lease, time.time(), message)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return claim

    def _claim(self, owner: str, lease: float, now: float, only: int | None) -> Claim | None:
        owners = [
            row[0]
            for row in self._db.execute(
                "SELECT DISTINCT lease_owner FROM message WHERE state = 'sending'"
            )
        ]
        for gone in dead_owners(owners):
            self._db.execute(
                "UPDATE message SET lease_until = 0 WHERE state = 'sending' AND lease_owner = ?",
                (gone,),
            )
        self._db.execute(
            "UPDATE message SET state = 'failed', next_try = NULL, lease_owner = NULL,"
            " last_error = 'the worker stopped during the last attempt: ' || last_error"
            " WHERE state = 'sending' AND lease_until < ? AND attempts >= max_attempts",
            (now,),
        )
        if only is None:
            row = self._db.execute(
                "SELECT id FROM message WHERE (state = 'pending' AND next_try <= ?)"
                " OR (state = 'sending' AND lease_until < ?) ORDER BY next_try, id LIMIT 1",
                (now, now),
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT id FROM message WHERE id = ? AND (state = 'pending'"
                " OR (state = 'sending' AND lease_until < ?))",
                (only, now),
            ).fetchone()
        if row is None:
            return None
        self._db.execute(
            "UPDATE message SET state = 'sending', attempts = attempts + 1, lease_owner = ?,"
            " lease_until = ? WHERE id = ?",
            (owner, now + lease, row[0]),
        )
        found = self._db.execute(
            f"SELECT {_COLUMNS}, content FROM message WHERE id = ?", (row[0],)
        ).fetchone()
        return Claim(_row(found[:-1]), bytes(found[-1]), owner)

    def mark_sent(self, claim: Claim) -> bool:
        """Record that the backend accepted the claimed message; False if the lease was lost."""
        changed = self._write(
            "UPDATE message SET state = 'sent', sent_at = ?, next_try = NULL, lease_owner = NULL,"
            " lease_until = NULL WHERE id = ? AND state = 'sending' AND lease_owner = ?",
            (time.time(), claim.message.id, claim.owner),
        )
        return changed == 1

    def defer(self, claim: Claim, *, error: str, delay: float) -> State:
        """Put the claimed message back for another try in ``delay`` seconds.

        Return :attr:`State.PENDING`, or :attr:`State.FAILED` when that was its
        last attempt.
        """
        if claim.message.attempts >= claim.message.max_attempts:
            self.fail(claim, error=f"{error} (after {claim.message.attempts} attempts)")
            return State.FAILED
        self._write(
            "UPDATE message SET state = 'pending', next_try = ?, last_error = ?,"
            " lease_owner = NULL, lease_until = NULL"
            " WHERE id = ? AND state = 'sending' AND lease_owner = ?",
            (time.time() + delay, error, claim.message.id, claim.owner),
        )
        return State.PENDING

    def fail(self, claim: Claim, *, error: str) -> None:
        """Mark the claimed message failed for good, keeping ``error`` as the reason."""
        self._write(
            "UPDATE message SET state = 'failed', next_try = NULL, last_error = ?,"
            " lease_owner = NULL, lease_until = NULL"
            " WHERE id = ? AND state = 'sending' AND lease_owner = ?",
            (error, claim.message.id, claim.owner),
        )

    def next_due(self) -> float | None:
        """Return when the next pending message or lease falls due, or None if none will."""
        with self._lock:
            row = self._db.execute(
                "SELECT min(CASE state WHEN 'pending' THEN next_try ELSE lease_until END)"
                " FROM message WHERE state IN ('pending', 'sending')"
            ).fetchone()
        return None if row[0] is None else float(row[0])

    # -- looking and tidying -------------------------------------------------

    def counts(self) -> QueueCounts:
        """Return how many messages are in each state."""
        with self._lock:
            rows = self._db.execute("SELECT state, count(*) FROM message GROUP BY state")
            found = {str(state): int(count) for state, count in rows}
        return QueueCounts(**found)

    def list(
        self,
        states: Iterable[State] = (State.PENDING, State.SENDING, State.FAILED),
        *,
        limit: int = 100,
    ) -> list[QueuedMessage]:
        """Return up to ``limit`` messages in ``states``, oldest first."""
        wanted = [str(State(state)) for state in states]
        marks = ", ".join("?" * len(wanted))
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM message WHERE state IN ({marks}) ORDER BY id LIMIT ?",
                (*wanted, limit),
            ).fetchall()
        return [_row(row) for row in rows]

    def get(self, message: int) -> QueuedMessage | None:
        """Return the message with id ``message``, or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM message WHERE id = ?", (message,)
            ).fetchone()
        return None if row is None else _row(row)

    def content(self, message: int) -> bytes:
        """Return the exact bytes of message ``message`` (KeyError if there is none)."""
        with self._lock:
            row = self._db.execute(
                "SELECT content FROM message WHERE id = ?", (message,)
            ).fetchone()
        if row is None:
            raise KeyError(message)
        return bytes(row[0])

    def retry(self, messages: Iterable[int] | None = None) -> int:
        """Make failed messages (all, or those ids) pending again, attempts from 0; count them."""
        sql = (
            "UPDATE message SET state = 'pending', attempts = 0, next_try = ?"
            " WHERE state = 'failed'"
        )
        return self._matching(sql, (time.time(),), messages)

    def purge(self, states: Iterable[State] = (State.SENT,)) -> int:
        """Delete the messages in ``states`` (by default the sent ones); return how many."""
        wanted = [str(State(state)) for state in states]
        if str(State.SENDING) in wanted:
            raise ValueError("a message being sent cannot be purged; wait for the worker")
        marks = ", ".join("?" * len(wanted))
        return self._write(f"DELETE FROM message WHERE state IN ({marks})", wanted)

    def _matching(self, sql: str, params: tuple[object, ...], ids: Iterable[int] | None) -> int:
        if ids is None:
            return self._write(sql, params)
        chosen = [int(i) for i in ids]
        if not chosen:
            return 0
        marks = ", ".join("?" * len(chosen))
        return self._write(f"{sql} AND id IN ({marks})", (*params, *chosen))
