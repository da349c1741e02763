"""The background refold of search rows an older schema wrote (pochta.store.sqlite.refold)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from pochta.store import Envelope, open_store
from pochta.store.sqlite.refold import _write

ENVELOPE = Envelope("app@example.com", ("user@example.com",))


def unfold(path: Path) -> None:
    """Make the search rows unfolded, as schema 4 wrote them, and mark the store for refolding."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.executescript(
            "BEGIN; CREATE TEMP TABLE old AS SELECT * FROM message_search;"
            " DELETE FROM message_search;"
            " INSERT INTO message_search"
            " SELECT seq, 'ЁЛКА ' || seq, addresses, body, files FROM old;"
            " INSERT INTO meta (key, value) VALUES ('refold', '0'); COMMIT;"
        )


def test_every_old_row_is_refolded_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with open_store(path) as store:
        for number in range(300):  # more than one batch of 256
            store.add(f"Subject: n{number}\r\n\r\nhi\r\n".encode(), ENVELOPE)
    unfold(path)
    with open_store(path) as store:
        store.flush()
        assert (store.search("елка").matched, store.search("елка 299").matched) == (300, 1)
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT * FROM meta WHERE key = 'refold'").fetchall() == []


def test_a_row_changed_since_it_was_read_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with open_store(path) as store:
        store.add(b"Subject: new\r\n\r\nhi\r\n", ENVELOPE)
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("INSERT INTO meta (key, value) VALUES ('refold', '0')")
        current = connection.execute("SELECT * FROM message_search").fetchone()
        stale = (current[0], "ЁЛКА", *current[2:])  # what a reader saw before a reindex
        _write(connection, [(stale, (current[0], "елка", *current[2:])[1:])])
        assert connection.execute("SELECT * FROM message_search").fetchone() == current
        assert connection.execute("SELECT value FROM meta WHERE key = 'refold'").fetchone() == (
            str(current[0]),
        )
