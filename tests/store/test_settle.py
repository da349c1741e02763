"""How a writer answers its callers: a group on one event loop is answered in one go."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

import pytest

from pochta.exceptions import StoreError
from pochta.store.settle import Settle, loop_settler, settle_all, settler


def test_a_group_is_resolved_on_its_loop_and_the_hook_runs_once() -> None:
    asyncio.run(_group())


async def _group() -> None:
    loop = asyncio.get_running_loop()
    wakes: list[str] = []

    def wake() -> None:
        wakes.append(threading.current_thread().name)

    futures: list[asyncio.Future[Any]] = [loop.create_future() for _ in range(3)]
    waiting: Future[str] = Future()
    outcomes: list[tuple[Settle, Any, BaseException | None]] = [
        (loop_settler(loop, f, committed=wake), f"id{i}", None) for i, f in enumerate(futures)
    ]
    failed = loop.create_future()
    outcomes.append((loop_settler(loop, failed, committed=wake), None, StoreError("disk full")))
    outcomes.append((settler(waiting), "plain", None))

    writer = threading.Thread(target=settle_all, args=(outcomes,), name="writer")
    writer.start()
    writer.join()

    assert await asyncio.gather(*futures) == ["id0", "id1", "id2"]
    with pytest.raises(StoreError, match="disk full"):
        await failed
    assert waiting.result(timeout=5) == "plain"
    assert wakes == ["writer"]  # once for the group, on the writer's thread, not for the failure


def test_one_settle_alone_still_resolves_and_wakes() -> None:
    asyncio.run(_alone())


async def _alone() -> None:
    loop = asyncio.get_running_loop()
    wakes: list[int] = []
    future: asyncio.Future[Any] = loop.create_future()
    settle = loop_settler(loop, future, committed=lambda: wakes.append(1))
    threading.Thread(target=settle, args=("one", None)).start()
    assert await future == "one"
    assert wakes == [1]


def test_a_closed_loop_is_not_an_error() -> None:
    loop = asyncio.new_event_loop()
    future: asyncio.Future[Any] = loop.create_future()
    loop.close()
    settle_all([(loop_settler(loop, future), "late", None)])  # logged, not raised
    assert not future.done()
