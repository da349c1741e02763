"""The queue file: one SQLite database of messages waiting to be delivered.

Every change is one short transaction. :meth:`MailQueue.enqueue` commits
with ``synchronous=FULL``, so a message it accepted is on the disk when it
returns and survives a crash of the process or of the machine; the worker's
own bookkeeping (claims, outcomes) commits without waiting for the disk,
because losing it to a power cut costs at most a second delivery, which
"at least once" allows anyway. Several processes may share one file: claims
take SQLite's write lock (``BEGIN IMMEDIATE``), so no two workers lease the
same message.

A lease names its owner (``host:pid:name``) and ends at ``lease_until``.
A message whose lease ran out, or whose owner was a process of this machine
that is gone, is claimed again: a worker killed mid-send costs a second
delivery, never a lost message (at least once).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pochta.exceptions import ConfigurationError
from pochta.mail.queue.failure import Outcome
from pochta.mail.queue.lease import dead_owners
from pochta.mail.queue.record import QueueCounts, QueuedMessage, Recipient, State
from pochta.mail.queue.schema import COLUMNS, connect, message_row, outcomes_json
from pochta.mail.submission import Submission

__all__ = ["Claim", "MailQueue"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A message leased to one worker: the row, its bytes and the lease's owner."""

    message: QueuedMessage
    content: bytes
    owner: str

    @property
    def submission(self) -> Submission:
        """The envelope and bytes, as a backend is handed them: to the recipients still pending."""
        return Submission(self.message.mail_from, self.message.pending_to, self.content)


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
        self._lock = threading.RLock()  # _transaction is also taken inside enqueue's hold
        try:
            self._db = connect(self.path)
        except sqlite3.DatabaseError as error:
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

    def _write(self, sql: str, params: Iterable[object] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, tuple(params)).rowcount

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and SQLite's write lock; commit at the end, or roll back."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

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
            # The one commit that must wait for the disk (see the module's docstring).
            self._db.execute("PRAGMA synchronous=FULL")
            try:
                with self._transaction() as db:
                    for row in rows:
                        cursor = db.execute(
                            "INSERT INTO message (message_id, mail_from, rcpt_tos, content,"
                            " backend, state, max_attempts, queued_at, next_try)"
                            " VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                            (*row, backend, max_attempts, now, now),
                        )
                        ids.append(int(cursor.lastrowid or 0))
            finally:
                self._db.execute("PRAGMA synchronous=NORMAL")
        return ids

    # -- the worker's side ---------------------------------------------------

    def claim(self, owner: str, *, lease: float, message: int | None = None) -> Claim | None:
        """Lease the message due first to ``owner`` for ``lease`` seconds; None if none is due.

        With ``message``, lease that pending message whenever it is due (a
        Django task asks for its own message). The claim counts as an
        attempt. A message whose last attempt was cut off (its worker died)
        is marked failed instead of being tried again.
        """
        with self._transaction():
            return self._claim(owner, lease, time.time(), message)

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
            f"SELECT {COLUMNS}, content FROM message WHERE id = ?", (row[0],)
        ).fetchone()
        return Claim(message_row(found[:-1]), bytes(found[-1]), owner)

    def settle(self, claim: Claim, outcome: Outcome, *, delay: float) -> State | None:
        """Record what an attempt did to each recipient; return the message's state.

        Recipients to retry wait ``delay`` seconds, unless that was the last
        attempt: then they fail. The message is ``sent`` once every recipient
        is, ``failed`` once none is pending and one failed, else ``pending``.
        Return None (and change nothing) when the claim's lease was lost.
        """
        now = time.time()
        with self._transaction() as db:
            row = db.execute(
                f"SELECT {COLUMNS} FROM message WHERE id = ? AND state = 'sending'"
                " AND lease_owner = ?",
                (claim.message.id, claim.owner),
            ).fetchone()
            if row is None:
                return None
            message = message_row(row)
            recipients = [_settled(r, outcome, message) for r in message.recipients]
            settled = {r.state for r in recipients}
            state = (
                State.PENDING
                if State.PENDING in settled
                else State.FAILED
                if State.FAILED in settled
                else State.SENT
            )
            error = outcome.summary
            if error and state is State.FAILED and outcome.retry:
                error += f" (after {message.attempts} attempts)"
            db.execute(
                "UPDATE message SET state = ?, next_try = ?, last_error = ?, outcomes = ?,"
                " sent_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
                (
                    str(state),
                    now + delay if state is State.PENDING else None,
                    error or message.last_error,
                    outcomes_json(recipients),
                    now if outcome.sent else message.sent_at,
                    message.id,
                ),
            )
        return state

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
                f"SELECT {COLUMNS} FROM message WHERE state IN ({marks}) ORDER BY id LIMIT ?",
                (*wanted, limit),
            ).fetchall()
        return [message_row(row) for row in rows]

    def get(self, message: int) -> QueuedMessage | None:
        """Return the message with id ``message``, or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {COLUMNS} FROM message WHERE id = ?", (message,)
            ).fetchone()
        return None if row is None else message_row(row)

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
        """Make failed messages (all, or those ids) pending again, attempts from 0; count them.

        Only the recipients that failed are tried again: those already sent
        to are not sent to twice.
        """
        chosen = None if messages is None else [int(i) for i in messages]
        with self._transaction() as db:
            failed = db.execute("SELECT id, outcomes FROM message WHERE state = 'failed'")
            rows = [(id, text) for id, text in failed if chosen is None or id in chosen]
            for id, text in rows:
                kept = {a: o for a, o in json.loads(text).items() if o[0] == str(State.SENT)}
                db.execute(
                    "UPDATE message SET state = 'pending', attempts = 0, next_try = ?,"
                    " outcomes = ? WHERE id = ?",
                    (time.time(), json.dumps(kept, separators=(",", ":")), id),
                )
        return len(rows)

    def purge(self, states: Iterable[State] = (State.SENT,)) -> int:
        """Delete the messages in ``states`` (by default the sent ones); return how many."""
        wanted = [str(State(state)) for state in states]
        if str(State.SENDING) in wanted:
            raise ValueError("a message being sent cannot be purged; wait for the worker")
        marks = ", ".join("?" * len(wanted))
        return self._write(f"DELETE FROM message WHERE state IN ({marks})", wanted)


def _settled(recipient: Recipient, outcome: Outcome, message: QueuedMessage) -> Recipient:
    """Return ``recipient`` after the attempt ``outcome`` describes (the message's latest)."""
    attempt, address = message.attempts, recipient.address
    if recipient.state is not State.PENDING:
        return recipient
    if address in outcome.failed:
        return Recipient(address, State.FAILED, attempt, outcome.failed[address])
    if address in outcome.retry:
        last = message.attempts >= message.max_attempts
        return Recipient(
            address, State.FAILED if last else State.PENDING, attempt, outcome.retry[address]
        )
    if address in outcome.sent:
        return Recipient(address, State.SENT, attempt)
    return recipient
