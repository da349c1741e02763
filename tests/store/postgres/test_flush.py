"""``flush()`` on PostgreSQL waits for a backlog however long, while it is being indexed.

A burst (``pochta import``, the API bench's 100,000 messages) can leave more
unindexed than the indexer parses in ``_FLUSH_WAIT``; flush gives up only
when nothing of it was indexed for that long. Here the wait is 3 s and each
message takes 0.05 s to index, one message a batch: 80 messages take 4 s and
more (the indexer yields to the writer while the burst lasts).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from pochta.exceptions import StoreError
from pochta.store import Envelope, open_store
from pochta.store.postgres import indexer, store

ENVELOPE = Envelope("from@example.com", ("to@example.com",))


@pytest.fixture
def slow_indexing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Index one message a batch, 0.05 s each; flush waits 3 s for the next one."""
    parse = indexer.index_row

    def slowly(row: tuple[Any, ...]) -> Any:
        time.sleep(0.05)
        return parse(row)

    monkeypatch.setattr(indexer, "index_row", slowly)
    monkeypatch.setattr(indexer, "BATCH", 1)
    monkeypatch.setattr(store, "_FLUSH_WAIT", 3.0)


async def add_many(location: str, count: int) -> list[str]:
    with open_store(location) as opened:
        raws = [f"Subject: burst {n}\r\n\r\nbody\r\n".encode() for n in range(count)]
        ids = await asyncio.gather(*(opened.aadd(raw, ENVELOPE) for raw in raws))
        await asyncio.to_thread(opened.flush)
        assert opened.search("burst", limit=count).total == count  # every one indexed
    return list(ids)


def test_flush_waits_for_a_backlog_that_is_being_indexed(
    slow_indexing: None, postgres_url: str
) -> None:
    assert len(asyncio.run(add_many(postgres_url, 80))) == 80


def test_flush_gives_up_when_nothing_is_indexed(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "_FLUSH_WAIT", 0.5)
    with open_store(postgres_url) as opened:
        monkeypatch.setattr(opened._indexer, "wake", lambda: None)  # type: ignore[attr-defined]
        monkeypatch.setattr(indexer, "BATCH", 0)  # the indexer takes nothing
        asyncio.run(opened.aadd(b"Subject: stuck\r\n\r\nbody\r\n", ENVELOPE))
        with pytest.raises(StoreError, match="are not being indexed"):
            opened.flush()
