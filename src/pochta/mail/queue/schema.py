"""The queue file's format: its tables, its versions, how it is opened, and rows read back.

Version 2 keeps, beside each message, what became of each of its recipients
(``outcomes``: address -> ``[state, attempt, reply]``), so a message that one
recipient refused with a 4xx is retried for that recipient alone. A version 1
file (no ``outcomes``) is brought up to date when it is opened.

Durability (docs/sending.md, "What a crash can lose"): the file is in WAL mode
and the connection at ``synchronous=NORMAL``; :meth:`MailQueue.enqueue` raises
it to ``FULL`` for its own commit, so a queued message is on the disk, not
only in the operating system's cache, before ``send_messages`` returns.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pochta.mail.queue.record import QueuedMessage, Recipient, State

__all__ = ["COLUMNS", "VERSION", "connect", "message_row", "outcomes_json"]

VERSION = 2
"""The format this code writes (``PRAGMA user_version``)."""

_TABLES = """
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
    last_error TEXT NOT NULL DEFAULT '',
    outcomes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS message_due ON message (state, next_try);
"""
_MIGRATIONS = {1: "ALTER TABLE message ADD COLUMN outcomes TEXT NOT NULL DEFAULT '{}'"}

COLUMNS = (
    "id, message_id, mail_from, rcpt_tos, backend, state, attempts, max_attempts,"
    " length(content), queued_at, next_try, sent_at, last_error, outcomes"
)
"""The columns :func:`message_row` reads, in its order."""


def connect(path: Path) -> sqlite3.Connection:
    """Open the queue file at ``path``, making or updating its tables.

    Raises ``sqlite3.DatabaseError`` for a file that is not a queue of a
    version this code reads.
    """
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    try:
        setconfig = getattr(db, "setconfig", None)  # Python 3.12+
        if setconfig is not None:
            # A short-lived connection (send_mail without an open backend) must
            # not pay for a checkpoint each time it closes: three more syncs.
            # Long-lived ones (the worker) and SQLite's auto-checkpoint do it.
            setconfig(getattr(sqlite3, "SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE"), True)  # noqa: B009
        db.execute("PRAGMA synchronous=NORMAL")
        if db.execute("PRAGMA user_version").fetchone()[0] != VERSION:
            _upgrade(db)
    except BaseException:
        db.close()
        raise
    return db


def _upgrade(db: sqlite3.Connection) -> None:
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("BEGIN IMMEDIATE")  # two processes opening a new file at once: one upgrades
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            for statement in _TABLES.split(";"):
                if statement.strip():
                    db.execute(statement)
        elif version in _MIGRATIONS:
            db.execute(_MIGRATIONS[version])
        elif version != VERSION:
            raise sqlite3.DatabaseError(f"its format is version {version}, not {VERSION}")
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.execute("PRAGMA synchronous=NORMAL")


def outcomes_json(recipients: Sequence[Recipient]) -> str:
    """Return the ``outcomes`` column for ``recipients`` (the ones with something to say)."""
    return json.dumps(
        {r.address: [str(r.state), r.attempt, r.reply] for r in recipients if r.attempt},
        separators=(",", ":"),
    )


def _recipients(
    rcpt_tos: Sequence[str], outcomes: dict[str, list[Any]], state: State, values: Sequence[Any]
) -> tuple[Recipient, ...]:
    found = []
    for address in dict.fromkeys(rcpt_tos):
        known = outcomes.get(address)
        if known is not None:
            recipient = Recipient(address, State(known[0]), int(known[1]), str(known[2]))
        else:
            recipient = Recipient(address, State.PENDING)
        if recipient.state is State.PENDING and state in (State.SENT, State.FAILED):
            # Settled as a whole (a version 1 row, or a worker that died in the
            # last attempt): the message's own fate is this recipient's.
            reply = "" if state is State.SENT else str(values[12])
            recipient = Recipient(address, state, max(recipient.attempt, int(values[6])), reply)
        found.append(recipient)
    return tuple(found)


def message_row(values: Sequence[Any]) -> QueuedMessage:
    """Make a :class:`QueuedMessage` from the :data:`COLUMNS` of one row."""
    rcpt_tos = tuple(json.loads(str(values[3])))
    state = State(values[5])
    return QueuedMessage(
        id=int(values[0]),
        message_id=str(values[1]),
        mail_from=str(values[2]),
        rcpt_tos=rcpt_tos,
        backend=str(values[4]),
        state=state,
        attempts=int(values[6]),
        max_attempts=int(values[7]),
        size=int(values[8]),
        queued_at=float(values[9]),
        next_try=None if values[10] is None else float(values[10]),
        sent_at=None if values[11] is None else float(values[11]),
        last_error=str(values[12]),
        recipients=_recipients(rcpt_tos, json.loads(str(values[13])), state, values),
    )
