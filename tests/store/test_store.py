"""The store contract: adding, reading, paging, flags, deleting, events, reopening, closing."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from pochta.exceptions import MessageNotFound, StoreError
from pochta.store import Checksums, Envelope, Part, Store, StoreEvent, open_store, parse_message
from tests.kind import StoreKind
from tests.message.test_bulk import DATA as ATTACHED
from tests.message.test_bulk import large
from tests.store.conftest import StoreOpener

DATA = Path(__file__).parent.parent / "data"
ENVELOPE = Envelope("from@example.com", ("to@example.com",))


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


def test_every_page_of_a_store_is_its_slice_of_the_newest_first_list(store: Store) -> None:
    add_many(store, 23)
    everything = subjects(store, limit=100)
    pages = {(s, n): subjects(store, start=s, limit=n) for s in range(26) for n in (1, 5, 10, 30)}
    assert pages == {(s, n): everything[s : s + n] for s, n in pages}


def test_latest_and_unknown_ids(store: Store) -> None:
    ids = add_many(store, 3)
    assert (store.resolve_id("latest"), store.resolve_id(ids[0])) == (ids[2], ids[0])
    with pytest.raises(MessageNotFound, match="no message with id 'nope'"):
        store.resolve_id("nope")
    with pytest.raises(MessageNotFound):
        store.resolve_id("not an id at all/..")
    with pytest.raises(MessageNotFound):
        store.summary("nope")
    with pytest.raises(MessageNotFound):
        store.raw("nope")
    with pytest.raises(MessageNotFound):
        store.parsed("nope")


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


def test_the_parse_carries_the_checksums_of_each_file(store: Store) -> None:
    message_id = asyncio.run(store.aadd(large(), ENVELOPE))
    store.flush()  # indexed: the SQLite store stored them, PostgreSQL computes them
    [attachment] = store.parsed(message_id).attachments
    assert (attachment.size, attachment.checksums) == (
        len(ATTACHED),
        Checksums(
            hashlib.md5(ATTACHED).hexdigest(),
            hashlib.sha1(ATTACHED).hexdigest(),
            hashlib.sha256(ATTACHED).hexdigest(),
        ),
    )


def test_delete_some_then_all(store: Store) -> None:
    ids = add_many(store, 4)
    store.set_read([ids[0]], True)
    assert store.delete([ids[0], ids[1], "unknown"]) == 2
    assert (store.count(), subjects(store)) == ((2, 2), ["message 3", "message 2"])
    with pytest.raises(MessageNotFound):
        store.raw(ids[0])
    assert (store.delete(None), store.count(), subjects(store)) == (2, (0, 0), [])


def test_parsed_and_part(store: Store) -> None:
    raw = (DATA / "inline-and-pdf.eml").read_bytes()
    message_id = store.add(raw, ENVELOPE)
    assert store.parsed(message_id) == parse_message(raw, checksums=True)
    part, data = store.part(message_id, "2")
    assert (part, data[:8]) == (
        Part("2", "application/pdf", "report.pdf", "", 77, "attachment"),
        b"%PDF-1.4",
    )
    with pytest.raises(MessageNotFound, match="has no part '9'"):
        store.part(message_id, "9")


def test_a_deleted_message_is_not_read_from_a_cache(store: Store) -> None:
    message_id = store.add((DATA / "inline-and-pdf.eml").read_bytes(), ENVELOPE)
    store.parsed(message_id), store.part(message_id, "2")
    store.delete([message_id])
    with pytest.raises(MessageNotFound):
        store.parsed(message_id)
    with pytest.raises(MessageNotFound):
        store.part(message_id, "2")


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


def test_publish_reaches_the_subscribers(store: Store) -> None:
    events: list[StoreEvent] = []
    store.subscribe(events.append)
    store.publish([StoreEvent("update", ("elsewhere",))])
    assert events == [StoreEvent("update", ("elsewhere",))]


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


def test_messages_survive_reopening(open_test_store: StoreOpener) -> None:
    store = open_test_store()
    ids = add_many(store, 3)
    store.set_read([ids[1]], True)
    before = store.list_messages()
    store.close()
    again = open_test_store()
    assert (again.list_messages(), again.raw(ids[0])) == (before, message(0))


def test_two_stores_at_one_location_see_each_others_messages(
    open_test_store: StoreOpener,
) -> None:
    first, second = open_test_store(), open_test_store()
    message_id = first.add(message(1), ENVELOPE)
    assert (second.summary(message_id).subject, second.count()) == ("message 1", (1, 1))


def test_closed_store_refuses_work(open_test_store: StoreOpener) -> None:
    store = open_test_store()
    add_many(store, 1)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.add(message(1), ENVELOPE)
    with pytest.raises(StoreError, match="is closed"):
        store.count()


def test_location_and_info_agree(store: Store) -> None:
    ids = add_many(store, 3)
    store.set_read(ids[:1], True)
    info = store.info()
    assert (info.location, info.total, info.unread, info.unindexed) == (
        store.location,
        3,
        2,
        0,
    )
    assert (info.size_bytes > 0, info.schema > 0, bool(info.engine)) == (True, True, True)


def test_a_store_opened_read_only_reads_and_refuses_every_change(
    open_test_store: StoreOpener,
) -> None:
    message_id = open_test_store().add(message(1), ENVELOPE)
    reader = open_test_store(read_only=True)
    assert (reader.summary(message_id).subject, reader.raw(message_id)) == (
        "message 1",
        message(1),
    )
    changes = [
        lambda: reader.add(message(2), ENVELOPE),
        lambda: reader.set_read(None, True),
        lambda: reader.set_tags([message_id], ["x"]),
        lambda: reader.delete(None),
        reader.prune,
    ]
    for change in changes:
        with pytest.raises(StoreError, match="read-only"):
            change()
    reader.flush()
    assert (reader.count(), open_test_store().count()) == ((1, 1), (1, 1))


def test_nothing_to_open_read_only_is_a_clear_error(store_kind: StoreKind, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        open_store(store_kind.bare_location(tmp_path), read_only=True)


def test_a_large_part_comes_in_pieces_that_make_its_payload(store: Store) -> None:
    message_id = store.add(large(), ENVELOPE)
    part, pieces = store.part_chunks(message_id, "2")
    sizes = [len(piece) for piece in pieces]
    assert (part.size, sum(sizes), max(sizes) <= 1024 * 1024) == (len(ATTACHED),) * 2 + (True,)
    assert b"".join(store.part_chunks(message_id, "2")[1]) == store.part(message_id, "2")[1]
