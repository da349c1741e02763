"""Opening the wrong file, unwritable places, a full disk, pruning, group commit, aadd."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pochta.exceptions import ConfigurationError, StoreError, StoreFormatError, StoreFullError
from pochta.store import Envelope, StoreEvent, open_store
from pochta.store.sqlite.row import to_micros

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
    assert (tmp_path / "a" / "b" / "mail.db").is_file()


def test_full_disk_fails_cleanly_and_recovers(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.db") as store:
        first = store.add(message(1), ENVELOPE)
        pages = store._change(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
        store._change(lambda c: c.execute(f"PRAGMA max_page_count = {pages + 2}"))
        with pytest.raises(StoreFullError, match="is full"):
            store.add(message(2, size=200_000), ENVELOPE)
        assert (store.count(), [m.id for m in store.list_messages().messages]) == ((1, 1), [first])
        store._change(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
        second = store.add(message(2, size=200_000), ENVELOPE)
        assert (store.count(), store.raw(second)) == ((2, 2), message(2, size=200_000))
    with closing(sqlite3.connect(tmp_path / "mail.db")) as other:
        assert other.execute("SELECT count(*) FROM message_raw").fetchone() == (2,)


def test_full_disk_fails_every_message_of_the_group(tmp_path: Path) -> None:
    async def add_all() -> list[str | BaseException]:
        jobs = [store.aadd(message(n, size=50_000), ENVELOPE) for n in range(10)]
        return await asyncio.gather(*jobs, return_exceptions=True)

    with open_store(tmp_path / "mail.db") as store:
        pages = store._change(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
        store._change(lambda c: c.execute(f"PRAGMA max_page_count = {pages + 30}"))
        results = asyncio.run(add_all())
        stored = {m.id for m in store.list_messages().messages}
    ids = {r for r in results if isinstance(r, str)}
    assert ids == stored
    assert {type(r) for r in results if not isinstance(r, str)} == {StoreFullError}


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    events: list[StoreEvent] = []
    with open_store(tmp_path / "mail.db", max_messages=3) as store:
        store.subscribe(events.append)
        ids = [store.add(message(n), ENVELOPE) for n in range(5)]
        assert [m.id for m in store.list_messages().messages] == ids[:1:-1]
        assert store.count() == (3, 3)
    assert [(e.kind, e.ids) for e in events if e.kind == "prune"] == [
        ("prune", (ids[0],)),
        ("prune", (ids[1],)),
    ]


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

    with open_store(tmp_path / "mail.db") as store:
        ids = asyncio.run(add_all())
        assert (len(set(ids)), store.count(), store.stats.messages) == (200, (200, 200), 200)
        assert store.stats.commits < 200
        assert sorted(m.subject for m in store.list_messages(limit=200).messages) == sorted(
            f"message {n}" for n in range(200)
        )


def test_aadd_resolves_only_after_commit(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    seen: list[bool] = []

    def check_on_disk(task: asyncio.Task[str]) -> None:
        with closing(sqlite3.connect(path)) as other:
            row = other.execute("SELECT 1 FROM message WHERE id = ?", (task.result(),))
            seen.append(row.fetchone() is not None)

    async def add_all() -> None:
        tasks = [asyncio.create_task(store.aadd(message(n), ENVELOPE)) for n in range(20)]
        for task in tasks:
            task.add_done_callback(check_on_disk)
        await asyncio.gather(*tasks)

    with open_store(path) as store:
        asyncio.run(add_all())
    assert seen == [True] * 20


def test_aadd_after_close_raises(tmp_path: Path) -> None:
    store = open_store(tmp_path / "mail.db")
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        asyncio.run(store.aadd(message(1), ENVELOPE))


def test_close_waits_for_queued_messages(tmp_path: Path) -> None:
    async def add_then_close() -> list[str]:
        tasks = [asyncio.ensure_future(store.aadd(message(n), ENVELOPE)) for n in range(50)]
        await asyncio.sleep(0)
        await asyncio.to_thread(store.close)
        return await asyncio.gather(*tasks)

    store = open_store(tmp_path / "mail.db")
    ids = asyncio.run(add_then_close())
    with open_store(tmp_path / "mail.db") as reopened:
        assert reopened.count() == (50, 50)
        assert {m.id for m in reopened.list_messages(limit=50).messages} == set(ids)


def test_adds_from_many_threads(tmp_path: Path) -> None:
    def add_some(first: int) -> list[str]:
        return [store.add(message(n), ENVELOPE) for n in range(first, first + 25)]

    with open_store(tmp_path / "mail.db") as store:
        with ThreadPoolExecutor(max_workers=8) as pool:
            batches = list(pool.map(add_some, range(0, 200, 25)))
        ids = [i for batch in batches for i in batch]
        assert (len(set(ids)), store.count(), store.stats.messages) == (200, (200, 200), 200)
        assert [store.raw(i) for i in ids] == [message(n) for n in range(200)]


def test_a_cancelled_aadd_still_stores_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def add_then_cancel() -> None:
        task = asyncio.ensure_future(store.aadd(message(1), ENVELOPE))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(store.close)

    store = open_store(tmp_path / "mail.db")
    asyncio.run(add_then_cancel())
    with open_store(tmp_path / "mail.db") as reopened:
        assert reopened.count() == (1, 1)
    assert [r.message for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_limits_that_make_no_sense_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="max_messages -1 is negative"):
        open_store(tmp_path / "mail.db", max_messages=-1)
    with pytest.raises(ConfigurationError, match="max_age 0:00:00 would delete every message"):
        open_store(tmp_path / "mail.db", max_age=timedelta(0))
    assert not (tmp_path / "mail.db").exists()
