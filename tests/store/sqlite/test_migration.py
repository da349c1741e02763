"""The SQLite store's schema upgrades: an older file is upgraded and searchable."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from pochta.message.parse import parse_message
from pochta.store import open_store
from pochta.store.identity import new_id
from pochta.store.sqlite.migration import APPLICATION_ID, LATEST_VERSION, migrations
from pochta.store.sqlite.row import row_values
from pochta.store.summary import summarise
from tests.store.test_search import ENVELOPE, found, raw_message


def test_upgraded_store_is_searchable(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = raw_message("Invoice 77")
    summary = summarise(new_id(), parse_message(raw), ENVELOPE, datetime.now(UTC))
    with closing(sqlite3.connect(path, isolation_level=None)) as old:
        old.executescript(migrations()[0][1])
        old.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        old.execute("PRAGMA user_version = 1")
        cursor = old.execute(
            "INSERT INTO message (id, created, read, size, message_id, subject, sender, summary)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row_values(summary, 0, False, "default")[:8],
        )
        old.execute("INSERT INTO message_raw VALUES (?, 0, ?)", (cursor.lastrowid, raw))
    with open_store(path) as store:
        store.flush()
        assert (found(store, "attached"), found(store, "tag:urgent")) == (
            ["Invoice 77"],
            ["Invoice 77"],
        )
        assert (store.info().schema, store.info().unindexed) == (LATEST_VERSION, 0)
