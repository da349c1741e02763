"""The SQLite store's schema upgrades: an older file is upgraded and searchable."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from pochta.message.parse import parse_message
from pochta.store import open_store
from pochta.store.identity import new_id
from pochta.store.sqlite.migration import APPLICATION_ID, LATEST_VERSION, migrations
from pochta.store.sqlite.row import INSERT_MESSAGE, row_values
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
            row_values(1, summary, 0, False, "default")[1:9],
        )
        old.execute("INSERT INTO message_raw VALUES (?, 0, ?)", (cursor.lastrowid, raw))
    with open_store(path) as store:
        store.flush()
        assert (found(store, "attached"), found(store, "tag:urgent")) == (
            ["Invoice 77"],
            ["Invoice 77"],
        )
        assert (store.info().schema, store.info().unindexed) == (LATEST_VERSION, 0)


def test_schema_4_tags_and_words_are_folded_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as old:
        for _, sql in migrations()[:4]:
            old.executescript(sql)
        old.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        old.execute("PRAGMA user_version = 4")
        # Schema 4 wrote words as they were and kept "Тест" and "тест" apart (NOCASE is ASCII's).
        for subject, tags in (("Ёлка", ["Тест", "тест"]), ("Über", ["ТЕСТ"])):
            raw = f"Subject: {subject}\r\n\r\nПривет\r\n".encode()
            summary = replace(
                summarise(new_id(), parse_message(raw), ENVELOPE, datetime.now(UTC)),
                tags=tuple(tags),
            )
            seq = old.execute(
                INSERT_MESSAGE, row_values(None, summary, 0, True, "default")
            ).lastrowid
            old.execute("INSERT INTO message_raw VALUES (?, 0, ?)", (seq, raw))
            old.executemany("INSERT INTO message_tag VALUES (?, ?)", [(t, seq) for t in tags])
            old.execute(
                "INSERT INTO message_search VALUES (?, ?, '', 'Привет', '')", (seq, subject)
            )
    with open_store(path) as store:
        store.flush()
        assert [s.tags for s in store.list_messages().messages] == [("ТЕСТ",), ("Тест",)]
        assert (store.tags(), found(store, "tag:тест")) == (["ТЕСТ"], ["Über", "Ёлка"])
        assert (found(store, "елка"), found(store, "uber"), found(store, "привет")) == (
            ["Ёлка"],
            ["Über"],
            ["Über", "Ёлка"],
        )
    with closing(sqlite3.connect(path)) as upgraded:
        assert upgraded.execute("SELECT value FROM meta WHERE key = 'refold'").fetchall() == []
