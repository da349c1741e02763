"""Tags (automatic and set by hand), info(), and the two-phase ingest's indexer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pochta.exceptions import ConfigurationError
from pochta.store import Envelope, Store, StoreEvent, open_store
from pochta.store.sqlite.migration import LATEST_VERSION

ENVELOPE = Envelope("app@example.com", ("user@example.com",))
MIXED = (
    b"From: a@example.com\r\nTo: b+Signup@example.com\r\nSubject: report\r\n"
    b"X-Tags: Billing, urgent,, billing\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nQuarterly numbers inside.\r\n"
    b'--b\r\nContent-Type: application/pdf; name="q3.pdf"\r\n\r\n%PDF\r\n--b--\r\n'
)


def plain(subject: str, to: str = "b@example.com") -> bytes:
    return f"From: a@example.com\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhi\r\n".encode()


def test_automatic_tags_from_x_tags_and_plus_addressing(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.db") as store:
        first = store.add(MIXED, ENVELOPE)
        second = store.add(plain("two", "c+signup@example.com"), ENVELOPE)
        assert store.summary(first).tags == ("Billing", "Signup", "urgent")
        assert store.summary(second).tags == ("signup",)
        assert store.tags() == ["Billing", "Signup", "urgent"]
        assert store.info().tags == {"Billing": 1, "Signup": 2, "urgent": 1}


def test_set_rename_and_delete_tags(tmp_path: Path) -> None:
    events: list[StoreEvent] = []
    with open_store(tmp_path / "mail.db") as store:
        one, two = store.add(plain("one"), ENVELOPE), store.add(plain("two"), ENVELOPE)
        store.subscribe(events.append)
        store.set_tags([one, two, "missing"], [" Red  team ", "blue", "", "BLUE"])
        store.set_tags([two], ["green", "Red team"])
        assert [store.summary(i).tags for i in (one, two)] == [
            ("blue", "Red team"),
            ("green", "Red team"),
        ]
        assert store.rename_tag("red TEAM", "green") == 2
        assert [store.summary(i).tags for i in (one, two)] == [("blue", "green"), ("green",)]
        assert (store.delete_tag("GREEN"), store.delete_tag("nothing")) == (2, 0)
        assert (store.tags(), store.search_ids("is:tagged")) == (["blue"], [one])
    assert [(e.kind, e.ids) for e in events] == [
        ("update", (one, two)),
        ("update", (two,)),
        ("update", (one, two)),
        ("update", (one, two)),
    ]


def test_info_counts_the_store(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.db") as store:
        ids = [store.add(plain(str(n)), ENVELOPE) for n in range(3)]
        store.set_read(ids[:1], True)
        info = store.info()
    assert (info.path, info.total, info.unread, info.unindexed, info.schema) == (
        tmp_path / "mail.db",
        3,
        2,
        0,
        LATEST_VERSION,
    )
    assert info.size_bytes > 0


def test_aadd_answers_before_indexing_and_summaries_are_complete(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.db") as store:
        store._indexer.close()  # the indexer stops: as if the process died after the commit
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
    with open_store(tmp_path / "mail.db") as store:  # the next open indexes it
        store.subscribe(events.append)
        store.flush()
        assert store.search_ids("quarterly") == [message_id]
        assert store.search_ids("has:attachment") == [message_id]
        assert store.info().unindexed == 0


def test_new_event_follows_indexing_with_the_full_summary(tmp_path: Path) -> None:
    events: list[StoreEvent] = []
    found: list[list[str]] = []
    with open_store(tmp_path / "mail.db") as store:

        def heard(event: StoreEvent) -> None:
            events.append(event)
            found.append(store.search_ids("quarterly"))

        store.subscribe(heard)

        async def send() -> list[str]:
            return list(await asyncio.gather(*(store.aadd(MIXED, ENVELOPE) for _ in range(5))))

        ids = asyncio.run(send())
        store.flush()
    assert sorted(i for e in events for i in e.ids) == sorted(ids)
    assert {(e.kind, e.summary.snippet if e.summary else "") for e in events} == {
        ("new", "Quarterly numbers inside.")
    }
    # Searching from inside the "new" callback already finds the message.
    assert all(event.ids[0] in ids_found for event, ids_found in zip(events, found, strict=True))


def test_deleting_before_indexing_announces_nothing(tmp_path: Path) -> None:
    events: list[StoreEvent] = []
    with open_store(tmp_path / "mail.db") as store:
        store._indexer.close()
        message_id = asyncio.run(store.aadd(MIXED, ENVELOPE))
        store.delete([message_id])
    with open_store(tmp_path / "mail.db") as store:
        store.subscribe(events.append)
        store.flush()
        assert (store.count(), events) == ((0, 0), [])


def test_durability_setting_survives_indexing(tmp_path: Path) -> None:
    def synchronous(store: Store) -> int:
        return int(store._change(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]))

    levels = []
    for durability in ("full", "normal"):
        with open_store(tmp_path / f"{durability}.db", durability=durability) as store:
            asyncio.run(store.aadd(MIXED, ENVELOPE))
            store.flush()  # the indexer committed with NORMAL in between
            levels.append((synchronous(store), store.info().unindexed))
    assert levels == [(2, 0), (1, 0)]
    with pytest.raises(ConfigurationError, match="durability 'off'"):
        open_store(tmp_path / "off.db", durability="off")


def test_announces_covers_a_message_until_its_new_event(tmp_path: Path) -> None:
    seen: list[tuple[str, bool]] = []
    with open_store(tmp_path / "mail.db") as store:
        store.subscribe(lambda e: seen.extend((i, store.announces(i)) for i in e.ids))
        sync_id = store.add(plain("sync"), ENVELOPE)
        store._indexer.close()
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
    with open_store(tmp_path / "mail.db") as store:

        async def send() -> list[str]:
            return list(await asyncio.gather(*(store.aadd(MIXED, ENVELOPE) for _ in range(5))))

        ids = asyncio.run(send())
        store.flush()
        assert (store.info().unindexed, sorted(store.search_ids("quarterly"))) == (0, sorted(ids))


def test_a_subscriber_may_close_the_store(tmp_path: Path) -> None:
    store = open_store(tmp_path / "mail.db")
    store.subscribe(lambda event: store.close())
    message_id = asyncio.run(store.aadd(MIXED, ENVELOPE))
    store._indexer._thread.join(30)  # its "new" event closed the store
    with open_store(tmp_path / "mail.db") as again:
        assert [m.id for m in again.list_messages().messages] == [message_id]


def test_flush_without_indexing_waits_for_the_commit_only(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.db") as store:
        store._indexer.close()  # nothing gets indexed: the message stays as committed
        message_id = asyncio.run(store.aadd(MIXED, ENVELOPE))
        store.flush(index=False)
        assert (store.summary(message_id).subject, store.info().unindexed) == ("report", 1)
