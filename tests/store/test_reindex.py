"""``Store.reindex``, as every kind of store keeps it: nothing a person sees or set changes."""

from __future__ import annotations

from pochta.store import Envelope, Store

RAWS = [
    b"From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: plums\r\n\r\nripe\r\n",
    b"From: shop@example.com\r\nTo: carol+shop@example.com\r\nSubject: Invoice\r\n"
    b"X-Tags: billing\r\n\r\nnumber 7\r\n",
]


def test_reindex_keeps_every_summary_and_what_people_set(store: Store) -> None:
    ids = [store.add(raw, Envelope("app@example.com", ("hidden@example.com",))) for raw in RAWS]
    store.set_read([ids[0]], True)
    store.set_tags([ids[1]], ["billing", "Later"])
    before = store.list_messages().messages
    progress: list[tuple[int, int]] = []
    assert store.reindex(progress=lambda done, total: progress.append((done, total))) == 2
    assert store.list_messages().messages == before
    assert progress[-1] == (2, 2)
    assert [s.subject for s in store.search("ripe").messages] == ["plums"]
    assert [s.subject for s in store.search("tag:later").messages] == ["Invoice"]
    assert [store.raw(id) for id in ids] == RAWS


def test_an_empty_store_reindexes_nothing(store: Store) -> None:
    assert store.reindex() == 0
    assert store.count() == (0, 0)
