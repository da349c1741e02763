"""Two PostgreSQL stores on one database: each hears the other's changes, once each."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from pochta.store import Envelope, StoreEvent
from pochta.store.postgres import PostgresStore, indexer

ENVELOPE = Envelope("from@example.com", ("to@example.com",))


class Heard:
    """The events a store delivered, and a way to wait for one."""

    def __init__(self, store: PostgresStore) -> None:
        self.events: list[StoreEvent] = []
        self._changed = threading.Condition()
        store.subscribe(self._add)

    def _add(self, event: StoreEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, kind: str, id: str, timeout: float = 10.0) -> StoreEvent:
        with self._changed:
            found = self._changed.wait_for(lambda: self._find(kind, id), timeout)
        assert found, f"no {kind} event for {id}; heard {self.events}"
        return found

    def _find(self, kind: str, id: str) -> StoreEvent | None:
        return next((e for e in self.events if e.kind == kind and id in e.ids), None)

    def kinds(self, id: str) -> list[str]:
        return [e.kind for e in self.events if id in e.ids]


def message(subject: str) -> bytes:
    return f"Subject: {subject}\r\nTo: to@example.com\r\n\r\nbody of {subject}\r\n".encode()


@pytest.fixture
def pair(postgres_url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    with (
        PostgresStore(postgres_url, follow=True) as one,
        PostgresStore(postgres_url, follow=True) as two,
    ):
        yield one, two


def test_a_message_added_by_one_is_new_in_the_other_with_its_summary(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    one, two = pair
    heard = Heard(two)
    id = one.add(message("hello there"), ENVELOPE)
    event = heard.wait_for("new", id)
    assert event.summary is not None and event.summary.subject == "hello there"
    assert two.search("hello").matched == 1


def test_read_marks_and_deletes_cross_over(pair: tuple[PostgresStore, PostgresStore]) -> None:
    one, two = pair
    heard_one, heard_two = Heard(one), Heard(two)
    id = one.add(message("to be read"), ENVELOPE)
    heard_two.wait_for("new", id)
    two.set_read([id], True)
    heard_one.wait_for("update", id)
    assert one.summary(id).read is True
    one.delete([id])
    heard_two.wait_for("delete", id)
    assert two.count() == (0, 0)


def test_messages_committed_before_indexing_are_announced_once_everywhere(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    one, two = pair
    heard_one, heard_two = Heard(one), Heard(two)

    async def send() -> list[str]:
        return await asyncio.gather(*(one.aadd(message(f"m{n}"), ENVELOPE) for n in range(30)))

    ids = asyncio.run(send())
    one.flush()
    for id in ids:
        heard_two.wait_for("new", id)
    assert [heard_one.kinds(id) for id in ids] == [["new"]] * 30
    assert [heard_two.kinds(id) for id in ids] == [["new"]] * 30


def test_a_message_its_catcher_left_unindexed_is_indexed_by_another(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexer, "ORPHAN_AFTER", timedelta(0))
    monkeypatch.setattr(indexer, "SWEEP_EVERY", 0.1)
    with PostgresStore(postgres_url, follow=True) as survivor:
        heard = Heard(survivor)
        gone = PostgresStore(postgres_url)
        gone._indexer.close()  # the catcher dies after its commit, before indexing
        id = asyncio.run(gone.aadd(message("orphan words"), ENVELOPE))
        gone.close()
        heard.wait_for("new", id)
        assert survivor.search("orphan").matched == 1
