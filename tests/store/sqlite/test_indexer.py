"""The SQLite store's two-phase ingest: the indexer, announces(), durability of its commits."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pochta.store import Envelope, StoreEvent, parse_message
from pochta.store.sqlite.indexer import Indexer
from pochta.store.sqlite.store import SQLiteStore
from tests.message.test_bulk import DATA, large
from tests.store.test_tag import MIXED, plain

ENVELOPE = Envelope("app@example.com", ("user@example.com",))


def indexer_of(store: SQLiteStore) -> Indexer:
    assert store._indexer is not None  # a store open for writing has one
    return store._indexer


def test_aadd_answers_before_indexing_and_summaries_are_complete(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "mail.db") as store:
        indexer_of(store).close()  # the indexer stops: as if the process died after the commit
        message_id = asyncio.run(store.aadd(MIXED, ENVELOPE))
        summary = store.summary(message_id)
        listed = store.list_messages().messages
        assert (summary.snippet, summary.attachments, listed) == (
            "Quarterly numbers inside.",
            1,
            (summary,),
        )
        assert (store.search_ids("quarterly"), store.search_ids("subject:report")) == (
            [],
            [message_id],
        )
        assert store.info().unindexed == 1
    events: list[StoreEvent] = []
    with SQLiteStore(tmp_path / "mail.db") as store:  # the next open indexes it
        store.subscribe(events.append)
        store.flush()
        assert store.search_ids("quarterly") == [message_id]
        assert store.search_ids("has:attachment") == [message_id]
        assert store.info().unindexed == 0


def test_deleting_before_indexing_announces_nothing(tmp_path: Path) -> None:
    events: list[StoreEvent] = []
    with SQLiteStore(tmp_path / "mail.db") as store:
        indexer_of(store).close()
        message_id = asyncio.run(store.aadd(MIXED, ENVELOPE))
        store.delete([message_id])
    with SQLiteStore(tmp_path / "mail.db") as store:
        store.subscribe(events.append)
        store.flush()
        assert (store.count(), events) == ((0, 0), [])


def test_durability_setting_survives_indexing(tmp_path: Path) -> None:
    def synchronous(store: SQLiteStore) -> int:
        return int(store._writer.run(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]))

    levels = []
    for durability in ("full", "normal"):
        with SQLiteStore(tmp_path / f"{durability}.db", durability=durability) as store:
            asyncio.run(store.aadd(MIXED, ENVELOPE))
            store.flush()  # the indexer committed with NORMAL in between
            levels.append((synchronous(store), store.info().unindexed))
    assert levels == [(2, 0), (1, 0)]


def test_announces_covers_a_message_until_its_new_event(tmp_path: Path) -> None:
    seen: list[tuple[str, bool]] = []
    with SQLiteStore(tmp_path / "mail.db") as store:
        store.subscribe(lambda e: seen.extend((i, store.announces(i)) for i in e.ids))
        sync_id = store.add(plain("sync"), ENVELOPE)
        indexer_of(store).close()
        async_id = asyncio.run(store.aadd(plain("async"), ENVELOPE))
        assert (store.announces(sync_id), store.announces(async_id)) == (False, True)
        store.delete([async_id])
        assert store.announces(async_id) is False
    # During its own "new" event a message still counts as announced-to-be.
    assert seen == [(sync_id, True), (async_id, False)]


def test_the_indexer_reads_large_messages_a_few_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pochta.store.sqlite import indexer

    monkeypatch.setattr(indexer, "_BATCH_BYTES", 1)  # every batch stops after one message
    with SQLiteStore(tmp_path / "mail.db") as store:

        async def send() -> list[str]:
            return list(await asyncio.gather(*(store.aadd(MIXED, ENVELOPE) for _ in range(5))))

        ids = asyncio.run(send())
        store.flush()
        assert (store.info().unindexed, sorted(store.search_ids("quarterly"))) == (0, sorted(ids))


def test_a_subscriber_may_close_the_store(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "mail.db", follow=True)
    store.subscribe(lambda event: store.close())
    message_id = asyncio.run(store.aadd(MIXED, ENVELOPE))
    indexer_of(store)._thread.join(30)  # its "new" event closed the store
    with SQLiteStore(tmp_path / "mail.db") as again:
        assert [m.id for m in again.list_messages().messages] == [message_id]


def test_flush_without_indexing_waits_for_the_commit_only(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "mail.db") as store:
        indexer_of(store).close()  # nothing gets indexed: the message stays as committed
        message_id = asyncio.run(store.aadd(MIXED, ENVELOPE))
        store.flush(index=False)
        assert (store.summary(message_id).subject, store.info().unindexed) == ("report", 1)


def test_a_large_message_not_indexed_yet_is_listed_from_its_headers(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "mail.db") as store:
        indexer_of(store).close()  # it stays unindexed: a list would have parsed it each time
        message_id = asyncio.run(store.aadd(large(), ENVELOPE))
        [listed] = store.list_messages().messages
        assert (listed.id, listed.subject, listed.snippet, listed.attachments) == (
            message_id,
            "report",
            "",
            0,
        )


def test_the_indexer_stores_checksums_that_opening_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with SQLiteStore(path) as store:
        message_id = asyncio.run(store.aadd(large(), ENVELOPE))
        store.flush()
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        stored = connection.execute("SELECT part_id, size, md5 FROM message_checksum").fetchall()
        # What opening shows is what was stored, not hashed again: mark it.
        connection.execute("UPDATE message_checksum SET sha1 = 'stored at indexing'")
    with SQLiteStore(path) as store:
        [attachment] = store.parsed(message_id).attachments
    assert stored == [("2", len(DATA), hashlib.md5(DATA).hexdigest())]
    assert attachment.checksums is not None
    assert (attachment.checksums.md5, attachment.checksums.sha1) == (
        hashlib.md5(DATA).hexdigest(),
        "stored at indexing",
    )


ALTERNATIVE = (
    b"From: Shop <shop@example.com>\r\nTo: b@example.com\r\nSubject: Parcel dispatched\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding:"
    b" quoted-printable\r\n\r\nYour code is w=C3=B6mbat.\r\n"
    b"--b\r\nContent-Type: text/html\r\n\r\n<p>Your code is w&ouml;mbat. Platypus</p>\r\n"
    b"--b--\r\n"
)
HTML_ONLY = (
    b"From: a@example.com\r\nSubject: Newsletter\r\nContent-Type: text/html\r\n\r\n"
    b"<p>Echidna</p>\r\n"
)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold the indexer's full parse until the event is set (as a burst of mail would)."""
    from pochta.store.sqlite import indexer

    release = threading.Event()
    parse = indexer._index_row

    def slow_parse(connection: sqlite3.Connection, row: tuple[Any, ...]) -> Any:
        release.wait(30)
        return parse(connection, row)

    monkeypatch.setattr(indexer, "_index_row", slow_parse)
    yield release
    release.set()


def test_a_word_search_finds_a_message_before_its_full_parse(
    tmp_path: Path, held: threading.Event
) -> None:
    with SQLiteStore(tmp_path / "mail.db") as store:
        before = store.add(plain("older"), ENVELOPE)  # complete before the hold
        first = asyncio.run(store.aadd(ALTERNATIVE, ENVELOPE))
        second = asyncio.run(store.aadd(HTML_ONLY, ENVELOPE))
        # Words of the subject, the addresses and the text part find them at once.
        found = {q: store.search_ids(q) for q in ("dispatched", "shop", "wombat", "newsletter")}
        assert found == {
            "dispatched": [first], "shop": [first], "wombat": [first], "newsletter": [second]
        }  # fmt: skip
        page = store.search('"code is wombat"')
        assert ([m.id for m in page.messages], page.messages[0].snippet) == (
            [first],
            "Your code is wömbat.",
        )
        # What only the full parse finds waits for it; "-word" claims no unindexed row.
        assert [store.search_ids(q) for q in ("echidna", "-wombat")] == [[], [before]]
        assert (store.info().unindexed, store.search_ids("subject:parcel")) == (2, [first])
        held.set()
        store.flush()
        assert [store.search_ids(q) for q in ("echidna", "wombat", "-wombat")] == [
            [second],
            [first],
            [second, before],
        ]
        assert store.search("code").matched == 1  # the first row was replaced, not added to
        assert store.info().unindexed == 0


def test_a_large_message_opens_from_the_indexers_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SQLiteStore(tmp_path / "mail.db") as store:
        message_id = asyncio.run(store.aadd(large(), ENVELOPE))
        store.flush()

        def read_again(*args: object) -> bytes:
            raise AssertionError("the first open read the message's bytes again")

        monkeypatch.setattr(store._reader, "raw", read_again)
        assert store.parsed(message_id) == parse_message(large(), checksums=True)
