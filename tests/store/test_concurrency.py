"""The store contract under concurrency: aadd from many tasks, add from many threads, closing."""

from __future__ import annotations

import asyncio
import logging
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from pochta.exceptions import StoreError
from pochta.store import Envelope, Store
from tests.store.conftest import StoreOpener

ENVELOPE = Envelope("from@example.com", ("to@example.com",))


def message(number: int) -> bytes:
    return b"Subject: message %d\r\n\r\n%s\r\n" % (number, random.Random(number).randbytes(9))


def test_concurrent_aadd_stores_every_message(store: Store) -> None:
    async def add_all() -> list[str]:
        return await asyncio.gather(*[store.aadd(message(n), ENVELOPE) for n in range(200)])

    ids = asyncio.run(add_all())
    assert (len(set(ids)), store.count()) == (200, (200, 200))
    assert sorted(m.subject for m in store.list_messages(limit=200).messages) == sorted(
        f"message {n}" for n in range(200)
    )


def test_aadd_resolves_only_after_commit(open_test_store: StoreOpener) -> None:
    store, other = open_test_store(), open_test_store()
    seen: list[str] = []

    def check_elsewhere(task: asyncio.Task[str]) -> None:
        seen.append(other.summary(task.result()).subject)

    async def add_all() -> None:
        tasks = [asyncio.create_task(store.aadd(message(n), ENVELOPE)) for n in range(20)]
        for task in tasks:
            task.add_done_callback(check_elsewhere)
        await asyncio.gather(*tasks)

    asyncio.run(add_all())
    assert sorted(seen) == sorted(f"message {n}" for n in range(20))


def test_aadd_after_close_raises(open_test_store: StoreOpener) -> None:
    store = open_test_store()
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        asyncio.run(store.aadd(message(1), ENVELOPE))


def test_close_waits_for_queued_messages(open_test_store: StoreOpener) -> None:
    store = open_test_store()

    async def add_then_close() -> list[str]:
        tasks = [asyncio.ensure_future(store.aadd(message(n), ENVELOPE)) for n in range(50)]
        await asyncio.sleep(0)
        await asyncio.to_thread(store.close)
        return await asyncio.gather(*tasks)

    ids = asyncio.run(add_then_close())
    reopened = open_test_store()
    assert reopened.count() == (50, 50)
    assert {m.id for m in reopened.list_messages(limit=50).messages} == set(ids)


def test_adds_from_many_threads(store: Store) -> None:
    def add_some(first: int) -> list[str]:
        return [store.add(message(n), ENVELOPE) for n in range(first, first + 25)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(add_some, range(0, 200, 25)))
    ids = [i for batch in batches for i in batch]
    assert (len(set(ids)), store.count()) == (200, (200, 200))
    assert [store.raw(i) for i in ids] == [message(n) for n in range(200)]


def test_a_cancelled_aadd_still_stores_quietly(
    open_test_store: StoreOpener, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_test_store()

    async def add_then_cancel() -> None:
        task = asyncio.ensure_future(store.aadd(message(1), ENVELOPE))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(store.close)

    asyncio.run(add_then_cancel())
    assert open_test_store().count() == (1, 1)
    assert [r.message for r in caplog.records if r.levelno >= logging.WARNING] == []
