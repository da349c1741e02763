"""The store contract's limits: max_messages prunes after inserts, nonsense limits are refused."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from pochta.exceptions import ConfigurationError
from pochta.store import Envelope, StoreEvent, open_store
from tests.store.conftest import StoreOpener

ENVELOPE = Envelope("from@example.com", ("to@example.com",))


def message(number: int) -> bytes:
    return b"Subject: message %d\r\n\r\n%s\r\n" % (number, random.Random(number).randbytes(9))


def test_prune_keeps_the_newest(open_test_store: StoreOpener) -> None:
    events: list[StoreEvent] = []
    store = open_test_store(max_messages=3)
    store.subscribe(events.append)
    ids = [store.add(message(n), ENVELOPE) for n in range(5)]
    assert [m.id for m in store.list_messages().messages] == ids[:1:-1]
    assert (store.count(), store.prune()) == ((3, 3), 0)
    assert [(e.kind, e.ids) for e in events if e.kind == "prune"] == [
        ("prune", (ids[0],)),
        ("prune", (ids[1],)),
    ]


def test_prune_applies_a_smaller_limit_to_a_fuller_store(open_test_store: StoreOpener) -> None:
    ids = [open_test_store().add(message(n), ENVELOPE) for n in range(4)]
    events: list[StoreEvent] = []
    store = open_test_store(max_messages=1)
    store.subscribe(events.append)
    assert (store.prune(), [m.id for m in store.list_messages().messages]) == (3, ids[3:])
    assert [(e.kind, set(e.ids)) for e in events] == [("prune", set(ids[:3]))]


def test_limits_that_make_no_sense_are_refused(location: str) -> None:
    with pytest.raises(ConfigurationError, match="max_messages -1 is negative"):
        open_store(location, max_messages=-1)
    with pytest.raises(ConfigurationError, match="max_age 0:00:00 would delete every message"):
        open_store(location, max_age=timedelta(0))
    with pytest.raises(ConfigurationError, match="durability 'off'"):
        open_store(location, durability="off")


def test_an_unknown_kind_of_location_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'mysql://db/mail' is a mysql URL"):
        open_store("mysql://db/mail")
