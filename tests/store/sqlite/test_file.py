"""The SQLite store's file: what it refuses to open, folders, compression, a full disk, space."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pochta.exceptions import StoreError, StoreFormatError, StoreFullError
from pochta.store import Envelope, StoreEvent, open_store
from pochta.store.limit import Limits
from pochta.store.sqlite.row import to_micros
from pochta.store.sqlite.store import SQLiteStore

ENVELOPE = Envelope("from@example.com", ("to@example.com",))


def message(number: int, size: int = 0) -> bytes:
    # Random bytes, so that zlib cannot shrink them below the page cap.
    return b"Subject: message %d\r\n\r\n%s\r\n" % (number, random.Random(number).randbytes(size))


def test_text_file_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n" * 20)
    with pytest.raises(StoreFormatError, match=r"notes.txt is not a pochta store"):
        open_store(path)
    assert path.read_text() == "shopping list\n" * 20


def test_foreign_sqlite_database_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE people (name TEXT)")
        other.commit()
    with pytest.raises(StoreFormatError, match=r"other.db is an SQLite database of another"):
        open_store(path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    open_store(path).close()
    with closing(sqlite3.connect(path)) as other:
        other.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreFormatError, match=r"written by a newer pochta \(store schema 99"):
        open_store(path)


def test_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with open_store(path) as store:
        assert store.count() == (0, 0)


def test_folder_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match=r"cannot create the folder .*file for the store"):
        open_store(tmp_path / "file" / "x.db")


def test_a_folder_is_not_a_store_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"is a folder; give the store a file name"):
        open_store(tmp_path)


def test_missing_folders_are_created(tmp_path: Path) -> None:
    with open_store(tmp_path / "a" / "b" / "mail.db") as store:
        store.add(message(1), ENVELOPE)
        assert store.location == str(tmp_path / "a" / "b" / "mail.db")
    assert (tmp_path / "a" / "b" / "mail.db").is_file()


def test_nonsense_limits_create_no_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        open_store(tmp_path / "mail.db", max_messages=-1)
    assert not (tmp_path / "mail.db").exists()


def test_large_repetitive_messages_are_compressed_on_disk(sqlite_store: SQLiteStore) -> None:
    raw = b"Subject: big\r\n\r\n" + b"0123456789abcdef\r\n" * 10_000
    message_id = sqlite_store.add(raw, ENVELOPE)
    with closing(sqlite3.connect(sqlite_store.path)) as other:
        encoding, stored = other.execute(
            "SELECT encoding, length(data) FROM message_raw JOIN message USING (seq) WHERE id = ?",
            (message_id,),
        ).fetchone()
    assert (encoding, stored < len(raw) // 10, sqlite_store.raw(message_id) == raw) == (
        1,
        True,
        True,
    )


def test_deleting_removes_the_bytes_too(sqlite_store: SQLiteStore) -> None:
    ids = [sqlite_store.add(message(n), ENVELOPE) for n in range(3)]
    sqlite_store.delete(ids[:1])
    with closing(sqlite3.connect(sqlite_store.path)) as other:
        assert other.execute("SELECT count(*) FROM message_raw").fetchone() == (2,)
    sqlite_store.delete(None)
    with closing(sqlite3.connect(sqlite_store.path)) as other:
        assert other.execute("SELECT count(*) FROM message_raw").fetchone() == (0,)


def test_deleting_everything_shrinks_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with open_store(path) as store:
        for number in range(100):
            store.add(message(number) + os.urandom(20_000), ENVELOPE)
    full = path.stat().st_size
    with open_store(path) as store:
        assert store.delete(None) == 100
    assert (full > 2_000_000, path.stat().st_size < full // 10) == (True, True)


def test_reads_do_not_wait_behind_a_write(sqlite_store: SQLiteStore) -> None:
    for number in range(2):
        sqlite_store.add(message(number), ENVELOPE)
    release = threading.Event()
    holding = threading.Event()

    def hold_write_lock(connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE message SET read = 1")
        holding.set()
        release.wait(30)
        connection.execute("ROLLBACK")

    writer = threading.Thread(target=sqlite_store._writer.run, args=(hold_write_lock,))
    writer.start()
    try:
        assert holding.wait(30)
        assert sqlite_store.count() == (2, 2)
        assert [m.subject for m in sqlite_store.list_messages().messages] == [
            "message 1",
            "message 0",
        ]
    finally:
        release.set()
        writer.join()


def _pages(store: SQLiteStore) -> int:
    return int(store._writer.run(lambda c: c.execute("PRAGMA page_count").fetchone()[0]))


def test_full_disk_fails_cleanly_and_recovers(sqlite_store: SQLiteStore) -> None:
    first = sqlite_store.add(message(1), ENVELOPE)
    pages = _pages(sqlite_store)
    sqlite_store._writer.run(lambda c: c.execute(f"PRAGMA max_page_count = {pages + 2}"))
    with pytest.raises(StoreFullError, match="is full"):
        sqlite_store.add(message(2, size=200_000), ENVELOPE)
    assert (sqlite_store.count(), [m.id for m in sqlite_store.list_messages().messages]) == (
        (1, 1),
        [first],
    )
    sqlite_store._writer.run(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    second = sqlite_store.add(message(2, size=200_000), ENVELOPE)
    assert (sqlite_store.count(), sqlite_store.raw(second)) == ((2, 2), message(2, size=200_000))
    with closing(sqlite3.connect(sqlite_store.path)) as other:
        assert other.execute("SELECT count(*) FROM message_raw").fetchone() == (2,)


def test_full_disk_fails_every_message_of_the_group(sqlite_store: SQLiteStore) -> None:
    async def add_all() -> list[str | BaseException]:
        jobs = [sqlite_store.aadd(message(n, size=50_000), ENVELOPE) for n in range(10)]
        return await asyncio.gather(*jobs, return_exceptions=True)

    pages = _pages(sqlite_store)
    sqlite_store._writer.run(lambda c: c.execute(f"PRAGMA max_page_count = {pages + 30}"))
    results = asyncio.run(add_all())
    stored = {m.id for m in sqlite_store.list_messages().messages}
    ids = {r for r in results if isinstance(r, str)}
    assert ids == stored
    assert {type(r) for r in results if not isinstance(r, str)} == {StoreFullError}


def test_prune_by_age(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with open_store(path) as store:
        ids = [store.add(message(n), ENVELOPE) for n in range(4)]
    two_hours_ago = to_micros(datetime.now(UTC) - timedelta(hours=2))
    with closing(sqlite3.connect(path)) as other:
        other.execute(
            "UPDATE message SET created = ? WHERE id IN (?, ?)", (two_hours_ago, *ids[:2])
        )
        other.commit()
    with open_store(path, max_age=timedelta(hours=1)) as store:
        events: list[StoreEvent] = []
        store.subscribe(events.append)
        assert store.prune() == 2
        assert [m.id for m in store.list_messages().messages] == [ids[3], ids[2]]
        assert [(e.kind, set(e.ids)) for e in events] == [("prune", set(ids[:2]))]
        assert store.prune() == 0


def test_concurrent_aadd_shares_commits(tmp_path: Path) -> None:
    async def add_all() -> list[str]:
        return await asyncio.gather(*[store.aadd(message(n), ENVELOPE) for n in range(200)])

    with SQLiteStore(tmp_path / "mail.db", limits=Limits(max_messages=1000)) as store:
        ids = asyncio.run(add_all())
        assert (len(set(ids)), store.stats.messages, store.max_messages) == (200, 200, 1000)
        assert store.stats.commits < 200


def test_every_page_of_a_mailbox_is_its_slice_of_the_newest_first_list(
    sqlite_store: SQLiteStore,
) -> None:
    envelope = Envelope("a@example.com", ("b@example.com",))
    for number in range(30):  # two mailboxes, interleaved
        box = sqlite_store.mailbox("alice" if number % 3 else "bob")
        box.add(b"Subject: %d\r\n\r\nhi\r\n" % number, envelope)
    alice = sqlite_store.mailbox("alice")
    everything = [m.subject for m in alice.list_messages(limit=100).messages]
    pages = {
        (s, n): [m.subject for m in alice.list_messages(start=s, limit=n).messages]
        for s in range(22)
        for n in (1, 4, 15)
    }
    assert len(everything) == 20
    assert pages == {(s, n): everything[s : s + n] for s, n in pages}


def test_closing_with_large_and_small_messages_on_the_way_answers_every_sender(
    tmp_path: Path,
) -> None:
    # Large messages go through the packing threads, small ones straight to the
    # writer: closing meanwhile must answer each, stored or refused, and keep the stored.
    path = tmp_path / "mail.db"
    store = open_store(path)

    async def add_then_close() -> list[str | BaseException]:
        # 2 MB that zlib shrinks, so the packing threads are still at it when close comes.
        large = b"Subject: large\r\n\r\n" + b"a line that compresses well\r\n" * 70_000
        raws = [large if n % 2 else message(n, size=2_000) for n in range(40)]
        jobs = [asyncio.ensure_future(store.aadd(raw, ENVELOPE)) for raw in raws]
        await asyncio.sleep(0)  # every aadd has handed its message on
        await asyncio.to_thread(store.close)
        return await asyncio.wait_for(asyncio.gather(*jobs, return_exceptions=True), 30)

    results = asyncio.run(add_then_close())
    stored = {r for r in results if isinstance(r, str)}
    assert all(isinstance(r, str | StoreError) for r in results)
    with open_store(path) as reopened:
        assert {m.id for m in reopened.list_messages(limit=100).messages} == stored
