"""The store contract's tags (automatic and set by hand) and the "new" event after indexing."""

from __future__ import annotations

import asyncio

from pochta.store import Envelope, Store, StoreEvent

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


def test_automatic_tags_from_x_tags_and_plus_addressing(store: Store) -> None:
    first = store.add(MIXED, ENVELOPE)
    second = store.add(plain("two", "c+signup@example.com"), ENVELOPE)
    assert store.summary(first).tags == ("Billing", "Signup", "urgent")
    assert store.summary(second).tags == ("signup",)
    assert store.tags() == ["Billing", "Signup", "urgent"]
    assert store.info().tags == {"Billing": 1, "Signup": 2, "urgent": 1}


def test_set_rename_and_delete_tags(store: Store) -> None:
    events: list[StoreEvent] = []
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


def test_new_event_follows_indexing_with_the_full_summary(store: Store) -> None:
    events: list[StoreEvent] = []
    found: list[list[str]] = []

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


def test_aadd_is_summarised_at_once_and_found_by_words_after_flush(store: Store) -> None:
    message_id = asyncio.run(store.aadd(MIXED, ENVELOPE))
    summary = store.summary(message_id)
    assert (summary.subject, summary.tags, store.search_ids("subject:report")) == (
        "report",
        ("Billing", "Signup", "urgent"),
        [message_id],
    )
    store.flush()
    assert (store.search_ids("quarterly"), store.search_ids("has:attachment")) == (
        [message_id],
        [message_id],
    )
    assert store.info().unindexed == 0
