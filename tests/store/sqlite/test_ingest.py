"""The ingest process: a child process commits aadd's small messages (pochta serve's store)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pochta.exceptions import StoreError
from pochta.store import Envelope, StoreEvent
from pochta.store.limit import Limits
from pochta.store.sqlite import ingest
from pochta.store.sqlite.ingest import IngestProcess
from pochta.store.sqlite.store import PREPARE_INLINE_BELOW, SQLiteStore

ENVELOPE = Envelope("from@example.com", ("to@example.com",))


def message(number: int, size: int = 200) -> bytes:
    body = random.Random(number).randbytes(size).hex().encode()
    return b"Subject: message %d\r\n\r\n%s\r\n" % (number, body)


def open_ingesting(path: Path, **options: object) -> tuple[SQLiteStore, IngestProcess]:
    store = SQLiteStore(path, ingest_process=True, **options)  # type: ignore[arg-type]
    child = store.ingest_process
    assert child is not None
    assert child.wait_ready(30), "the ingest process did not start"
    return store, child


def add_all(store: SQLiteStore, messages: list[bytes]) -> list[str | BaseException]:
    async def run() -> list[str | BaseException]:
        return await asyncio.gather(
            *[store.aadd(raw, ENVELOPE) for raw in messages], return_exceptions=True
        )

    return asyncio.run(run())


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone too
        return stat.read().split()[2] == "Z"


def test_the_child_commits_messages_and_the_store_reads_them(tmp_path: Path) -> None:
    store, child = open_ingesting(tmp_path / "mail.db")
    try:
        ids = add_all(store, [message(n) for n in range(300)])
        assert len(set(ids)) == 300
        assert store.count() == (300, 300)
        # The first came alone (the writer thread took it); the others while it waited.
        assert (child.committed, store.stats.messages) == (299, 300)
        assert 1 <= store.stats.commits < 300  # in groups
        assert {store.summary(str(id)).subject for id in ids} == {
            f"message {n}" for n in range(300)
        }
        assert store.raw(str(ids[7])) == message(7)
        store.flush()
        assert store.search_ids("message") and len(store.search_ids("message")) == 300
    finally:
        store.close()
    assert child.pid is not None and gone(child.pid)


def test_the_child_messages_are_announced_once_indexed(tmp_path: Path) -> None:
    store, _ = open_ingesting(tmp_path / "mail.db")
    events: list[StoreEvent] = []
    store.subscribe(events.append)
    try:
        ids = add_all(store, [message(n) for n in range(20)])
        store.flush()
        announced = [id for event in events if event.kind == "new" for id in event.ids]
        assert sorted(announced) == sorted(ids)  # type: ignore[type-var]
        assert not any(store.announces(str(id)) for id in ids)
    finally:
        store.close()


def test_flush_waits_for_what_the_child_was_sent(tmp_path: Path) -> None:
    store, _ = open_ingesting(tmp_path / "mail.db")
    try:

        async def send_then_flush() -> None:
            tasks = [asyncio.ensure_future(store.aadd(message(n), ENVELOPE)) for n in range(50)]
            await asyncio.sleep(0)  # every aadd has sent its message
            await asyncio.to_thread(store.flush, index=False)
            assert store.count()[0] == 50
            await asyncio.gather(*tasks)

        asyncio.run(send_then_flush())
    finally:
        store.close()


def test_limits_prune_after_the_child_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "FLOOD_GAP", 0.0)  # each round's first goes to the writer
    store, child = open_ingesting(tmp_path / "mail.db", limits=Limits(max_messages=5))
    events: list[StoreEvent] = []
    store.subscribe(events.append)
    try:
        for round in range(6):
            add_all(store, [message(n) for n in range(round * 3, round * 3 + 3)])
        assert child.committed == 12  # two of each three
        assert store.count()[0] == 5
        pruned = [id for event in events if event.kind == "prune" for id in event.ids]
        assert len(pruned) == 13
        kept = {s.subject for s in store.list_messages().messages}
        assert kept <= {f"message {n}" for n in range(12, 18)}
    finally:
        store.close()


def test_a_message_that_comes_alone_goes_to_the_writer_thread(tmp_path: Path) -> None:
    store, child = open_ingesting(tmp_path / "mail.db")
    try:
        for n in range(5):
            add_all(store, [message(n)])
        assert (child.committed, store.stats.messages, store.count()[0]) == (0, 5, 5)
    finally:
        store.close()


def test_in_a_flood_a_message_alone_goes_to_the_child_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "FLOOD_GAP", 3600.0)  # "within the gap", however slow the run
    store, child = open_ingesting(tmp_path / "mail.db")
    try:
        add_all(store, [message(n) for n in range(3)])  # the first alone: the writer's
        assert (child.committed, child.flooding) == (2, True)
        for n in range(3, 6):
            add_all(store, [message(n)])  # each alone, but the child took one lately
        assert (child.committed, store.stats.messages) == (5, 6)
        monkeypatch.setattr(ingest, "FLOOD_GAP", 0.0)  # the flood is over
        assert not child.flooding
        add_all(store, [message(6)])
        assert (child.committed, store.stats.messages, store.count()[0]) == (5, 7, 7)
    finally:
        store.close()


def test_large_and_small_messages_at_once_share_the_file(tmp_path: Path) -> None:
    # Large ones go to the writer thread, small ones to the child: two writers, one lock.
    store, _ = open_ingesting(tmp_path / "mail.db")
    try:
        messages = [message(n, PREPARE_INLINE_BELOW if n % 5 == 0 else 100) for n in range(60)]
        ids = add_all(store, messages)
        assert all(isinstance(id, str) for id in ids)
        assert [store.raw(str(id)) for id in ids] == messages
        store.set_read(None, True)  # the writer thread writes while the child may still
        assert store.count() == (60, 0)
    finally:
        store.close()


def test_a_child_that_dies_fails_only_what_it_had_not_committed(tmp_path: Path) -> None:
    store, child = open_ingesting(tmp_path / "mail.db")
    assert child.pid is not None
    try:
        first = add_all(store, [message(n) for n in range(10)])
        assert all(isinstance(id, str) for id in first)

        async def kill_while_sending() -> list[str | BaseException]:
            tasks = [
                asyncio.ensure_future(store.aadd(message(n), ENVELOPE)) for n in range(10, 400)
            ]
            await asyncio.sleep(0)
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
            return await asyncio.gather(*tasks, return_exceptions=True)

        outcomes = asyncio.run(kill_while_sending())
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                assert isinstance(outcome, StoreError)
                assert "ingest process" in str(outcome) and "ended before the commit" in str(
                    outcome
                )
        stored = [id for id in outcomes if isinstance(id, str)]
        assert len(stored) < len(outcomes)  # killed before it could commit them all
        assert not child.ready
        # Every message whose sender heard "stored" is there; later ones go to the writer.
        assert all(store.summary(id) for id in [*first, *stored])  # type: ignore[arg-type]
        after = add_all(store, [message(n) for n in range(400, 405)])
        assert all(isinstance(id, str) for id in after)
        assert store.count()[0] >= 10 + len(stored) + 5
        for id in after:
            assert store.summary(str(id)).subject.startswith("message 40")
    finally:
        store.close()


def test_without_the_child_the_writer_takes_every_message(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "mail.db")
    try:
        assert store.ingest_process is None
        assert len(set(add_all(store, [message(n) for n in range(10)]))) == 10
    finally:
        store.close()


def test_closing_ends_the_child_within_a_moment(tmp_path: Path) -> None:
    store, child = open_ingesting(tmp_path / "mail.db")
    add_all(store, [message(n) for n in range(5)])
    store.close()
    assert child.pid is not None
    deadline = time.monotonic() + 5
    while not gone(child.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gone(child.pid)
    with pytest.raises(StoreError, match="is closed"):
        add_all_strict(store)


def add_all_strict(store: SQLiteStore) -> None:
    async def run() -> None:
        await store.aadd(message(1), ENVELOPE)

    asyncio.run(run())


def test_closing_with_a_stuck_child_kills_it_and_fails_what_it_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pochta.store.sqlite.ingest.STOP_WAIT", 0.5)
    store, child = open_ingesting(tmp_path / "mail.db")
    assert child.pid is not None
    outcomes: list[str | BaseException] = []

    async def send_to_a_stopped_child() -> None:
        tasks = [asyncio.ensure_future(store.aadd(message(n), ENVELOPE)) for n in range(20)]
        await asyncio.sleep(0)
        os.kill(child.pid, signal.SIGSTOP)  # type: ignore[arg-type]
        await asyncio.sleep(0.2)
        closing = asyncio.ensure_future(asyncio.to_thread(store.close))
        outcomes.extend(await asyncio.gather(*tasks, return_exceptions=True))
        await closing

    try:
        asyncio.run(asyncio.wait_for(send_to_a_stopped_child(), 20))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGCONT)
    assert gone(child.pid)
    assert all(isinstance(o, str | StoreError) for o in outcomes)  # each one answered


@pytest.mark.timeout(60)
def test_a_child_that_falls_behind_never_holds_up_the_loop(tmp_path: Path) -> None:
    """Past IN_FLIGHT bytes unanswered the writer takes the next: no send waits on the loop."""
    store, child = open_ingesting(tmp_path / "mail.db")
    assert child.pid is not None
    # 200 messages of 60 KB: 12 MB, more than the socket holds (8 MiB with the kernel's
    # doubling): without the cap the loop would wait in send, and the test time out.
    messages = [message(n, size=30_000) for n in range(200)]
    assert len(messages[0]) < PREPARE_INLINE_BELOW

    async def send_to_a_stopped_child() -> tuple[list[str], int]:
        os.kill(child.pid, signal.SIGSTOP)  # type: ignore[arg-type]
        try:
            tasks = [asyncio.ensure_future(store.aadd(raw, ENVELOPE)) for raw in messages]
            await asyncio.sleep(0)  # every aadd has sent its message, or handed it on
            at_child = len(child._pending)
            assert 0 < at_child * len(messages[0]) <= ingest.IN_FLIGHT
            # The writer thread stores the others while the child is stopped.
            deadline = time.monotonic() + 30
            while sum(t.done() for t in tasks) < 200 - at_child:
                assert time.monotonic() < deadline, "the writer did not take the rest"
                await asyncio.sleep(0.01)
            assert store.count()[0] == 200 - at_child
        finally:
            os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
        return await asyncio.gather(*tasks), at_child

    try:
        ids, at_child = asyncio.run(send_to_a_stopped_child())
        assert len(set(ids)) == 200 and store.count()[0] == 200
        assert (child.committed, store.stats.messages) == (at_child, 200)
        assert [store.raw(id) for id in ids] == messages
    finally:
        store.close()


def test_syncs_from_several_threads_at_once_each_return(tmp_path: Path) -> None:
    store, child = open_ingesting(tmp_path / "mail.db")
    try:
        add_all(store, [message(n) for n in range(10)])  # its loop is closed now
        with ThreadPoolExecutor(4) as pool:
            for _ in range(3):
                list(pool.map(lambda _: child.sync(), range(8)))
        assert child.ready and store.count()[0] == 10
    finally:
        store.close()


def test_a_pochta_folder_in_the_working_folder_does_not_shadow_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shadow = tmp_path / "work" / "pochta"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('the wrong pochta')\n")
    monkeypatch.chdir(shadow.parent)
    store, child = open_ingesting(tmp_path / "mail.db")
    try:
        add_all(store, [message(n) for n in range(3)])
        assert child.committed == 2
    finally:
        store.close()


class NoReaderLoop(asyncio.SelectorEventLoop):
    """An event loop that cannot watch a descriptor (as Windows' proactor loop)."""

    def add_reader(self, *args: object) -> None:
        raise NotImplementedError


def test_a_loop_that_cannot_read_the_child_leaves_every_message_to_the_writer(
    tmp_path: Path,
) -> None:
    store, child = open_ingesting(tmp_path / "mail.db")
    try:

        async def run() -> list[str]:
            return await asyncio.gather(*[store.aadd(message(n), ENVELOPE) for n in range(10)])

        with asyncio.Runner(loop_factory=NoReaderLoop) as runner:
            ids = runner.run(run())
        assert len(set(ids)) == 10
        assert (child.committed, store.stats.messages) == (0, 10)
    finally:
        store.close()
