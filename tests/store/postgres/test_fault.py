"""PostgreSQL going away and coming back: errors that say so, nothing half-stored, recovery."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from pochta.exceptions import StoreUnavailableError
from pochta.store import Envelope
from pochta.store.postgres import PostgresStore, connection
from tests.cluster import Cluster, Template

ENVELOPE = Envelope("from@example.com", ("to@example.com",))
RAW = b"Subject: survives\r\n\r\nbody\r\n"


def add_when_back(store: PostgresStore, within: float = 20.0) -> str:
    """Add RAW as soon as the store takes it again (it recovers by itself)."""
    deadline = time.monotonic() + within
    while True:
        try:
            return store.add(RAW, ENVELOPE)
        except StoreUnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def cluster(postgres_template: Template) -> Iterator[Cluster]:
    with postgres_template.start() as started:
        yield started


def test_while_postgresql_is_down_calls_fail_and_then_recover(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "WAIT_TIMEOUT", 0.5)
    url = cluster.create_database()
    with PostgresStore(url, follow=True) as store:
        kept = store.add(RAW, ENVELOPE)
        cluster.stop()
        with pytest.raises(StoreUnavailableError, match="is not answering"):
            store.add(RAW, ENVELOPE)
        with pytest.raises(StoreUnavailableError):
            asyncio.run(store.aadd(RAW, ENVELOPE))
        with pytest.raises(StoreUnavailableError):
            store.count()
        cluster.start()
        again = add_when_back(store)
        assert store.count() == (2, 2)
        assert [store.raw(id) for id in (kept, again)] == [RAW, RAW]
