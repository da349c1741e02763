"""The SQLite store with real files: adding, reading, paging, flags, deleting, events."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from pochta.exceptions import MessageNotFound, StoreError
from pochta.store import Envelope, Part, Store, StoreEvent, open_store, parse_message

DATA = Path(__file__).parent.parent / "data"
ENVELOPE = Envelope("from@example.com", ("to@example.com",))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "mail.db") as opened:
        yield opened


def message(number: int) -> bytes:
    return b"Subject: message %d\r\nTo: to@example.com\r\n\r\nbody %d\r\n" % (number, number)


def add_many(store: Store, count: int) -> list[str]:
    return [store.add(message(n), ENVELOPE) for n in range(count)]


def subjects(store: Store, start: int = 0, limit: int = 50) -> list[str]:
    return [m.subject for m in store.list_messages(start=start, limit=limit).messages]


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: crlf\r\n\r\nline\r\n",
        b"Subject: bare lf\n\nline\n",
        b"Subject: mixed\r\n\nline\rmore\n\r\n",
        b"Subject: 8bit\r\n\r\n" + "Привет, мир".encode("koi8_r") + b"\r\n",
        bytes(range(256)) * 4,
        b"",
        b"Subject: compressible\r\n\r\n" + b"the same line again\r\n" * 5000,
        b"Subject: incompressible\r\n\r\n" + os.urandom(50_000),
    ],
)
def test_raw_is_byte_exact(store: Store, raw: bytes) -> None:
    message_id = store.add(raw, ENVELOPE)
    assert store.raw(message_id) == raw
    assert store.summary(message_id).size == len(raw)


def test_large_repetitive_messages_are_compressed_on_disk(store: Store) -> None:
    raw = b"Subject: big\r\n\r\n" + b"0123456789abcdef\r\n" * 10_000
    message_id = store.add(raw, ENVELOPE)
    with closing(sqlite3.connect(store.path)) as other:
        encoding, stored = other.execute(
            "SELECT encoding, length(data) FROM message_raw JOIN message USING (seq) WHERE id = ?",
            (message_id,),
        ).fetchone()
    assert (encoding, stored < len(raw) // 10, store.raw(message_id) == raw) == (1, True, True)


def test_ids_are_opaque_url_safe_and_distinct(store: Store) -> None:
    ids = add_many(store, 50)
    assert len(set(ids)) == 50
    assert all(len(i) == 22 and i.isalnum() and i.isascii() for i in ids)


def test_list_is_newest_first_and_paged(store: Store) -> None:
    add_many(store, 7)
    page = store.list_messages(start=2, limit=3)
    assert (page.total, page.unread, page.start) == (7, 7, 2)
    assert [m.subject for m in page.messages] == ["message 4", "message 3", "message 2"]
    assert subjects(store, start=6) == ["message 0"]
    assert subjects(store, start=7) == []


def test_latest_and_unknown_ids(store: Store) -> None:
    ids = add_many(store, 3)
    assert (store.resolve_id("latest"), store.resolve_id(ids[0])) == (ids[2], ids[0])
    with pytest.raises(MessageNotFound, match="no message with id 'nope'"):
        store.resolve_id("nope")
    with pytest.raises(MessageNotFound):
        store.summary("nope")
    with pytest.raises(MessageNotFound):
        store.raw("nope")


def test_latest_in_an_empty_store(store: Store) -> None:
    with pytest.raises(MessageNotFound):
        store.resolve_id("latest")


def test_set_read_some_then_all(store: Store) -> None:
    ids = add_many(store, 4)
    assert store.set_read(ids[:2], True) == 2
    assert store.set_read(ids[:2], True) == 0
    assert (store.count(), [m.read for m in store.list_messages().messages]) == (
        (4, 2),
        [False, False, True, True],
    )
    assert (store.set_read(None, True), store.count()) == (2, (4, 0))
    assert (store.set_read([ids[3], "unknown"], False), store.count()) == (1, (4, 1))


def test_delete_some_then_all(store: Store) -> None:
    ids = add_many(store, 4)
    store.set_read([ids[0]], True)
    assert store.delete([ids[0], ids[1], "unknown"]) == 2
    assert (store.count(), subjects(store)) == ((2, 2), ["message 3", "message 2"])
    with pytest.raises(MessageNotFound):
        store.raw(ids[0])
    assert (store.delete(None), store.count(), subjects(store)) == (2, (0, 0), [])
    with closing(sqlite3.connect(store.path)) as other:
        assert other.execute("SELECT count(*) FROM message_raw").fetchone() == (0,)


def test_parsed_and_part(store: Store) -> None:
    raw = (DATA / "inline-and-pdf.eml").read_bytes()
    message_id = store.add(raw, ENVELOPE)
    assert store.parsed(message_id) == parse_message(raw)
    part, data = store.part(message_id, "2")
    assert (part, data[:8]) == (
        Part("2", "application/pdf", "report.pdf", "", 77, "attachment"),
        b"%PDF-1.4",
    )
    with pytest.raises(MessageNotFound, match="has no part '9'"):
        store.part(message_id, "9")


def test_subscribers_hear_every_change(store: Store) -> None:
    events: list[StoreEvent] = []
    unsubscribe = store.subscribe(events.append)
    first, second = add_many(store, 2)
    store.set_read([first], True)
    store.delete([first])
    store.delete(None)
    unsubscribe()
    add_many(store, 1)
    assert [(e.kind, e.ids) for e in events] == [
        ("new", (first,)),
        ("new", (second,)),
        ("update", (first,)),
        ("delete", (first,)),
        ("truncate", ()),
    ]
    assert events[0].summary is not None and events[0].summary.subject == "message 0"


def test_a_failing_subscriber_does_not_break_the_store(store: Store) -> None:
    def fail(event: StoreEvent) -> None:
        raise RuntimeError("subscriber bug")

    heard: list[str] = []
    store.subscribe(fail)
    store.subscribe(lambda event: heard.append(event.kind))
    add_many(store, 2)
    assert (heard, store.count()) == (["new", "new"], (2, 2))


def test_a_subscriber_may_not_write(store: Store) -> None:
    errors: list[BaseException] = []

    def write_back(event: StoreEvent) -> None:
        try:
            store.add(b"Subject: loop\r\n\r\n", ENVELOPE)
        except StoreError as exc:
            errors.append(exc)

    store.subscribe(write_back)
    add_many(store, 1)
    assert [type(e) for e in errors] == [StoreError]
    assert store.count() == (1, 1)


def test_messages_survive_reopening(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.db") as store:
        ids = add_many(store, 3)
        store.set_read([ids[1]], True)
        before = store.list_messages()
    with open_store(tmp_path / "mail.db") as store:
        assert (store.list_messages(), store.raw(ids[0])) == (before, message(0))


def test_reads_do_not_wait_behind_a_write(store: Store) -> None:
    add_many(store, 2)
    release = threading.Event()
    holding = threading.Event()

    def hold_write_lock(connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE message SET read = 1")
        holding.set()
        release.wait(30)
        connection.execute("ROLLBACK")

    writer = threading.Thread(target=store._change, args=(hold_write_lock,))
    writer.start()
    try:
        assert holding.wait(30)
        assert (store.count(), subjects(store)) == ((2, 2), ["message 1", "message 0"])
    finally:
        release.set()
        writer.join()


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    store = open_store(tmp_path / "mail.db")
    add_many(store, 1)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.add(message(1), ENVELOPE)
    with pytest.raises(StoreError, match="is closed"):
        store.count()


def test_deleting_everything_shrinks_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with open_store(path) as store:
        for number in range(100):
            store.add(message(number) + os.urandom(20_000), ENVELOPE)
    full = path.stat().st_size
    with open_store(path) as store:
        assert store.delete(None) == 100
    assert (full > 2_000_000, path.stat().st_size < full // 10) == (True, True)
