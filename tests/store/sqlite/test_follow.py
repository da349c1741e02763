"""pochta.store.sqlite.follow: a store hears of rows that another store on the same file adds."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from pochta.store import Envelope, StoreEvent, open_store
from pochta.store.sqlite.follow import Follower
from pochta.store.sqlite.store import SQLiteStore

ENVELOPE = Envelope("a@example.com", ("b@example.com",), source="import")


def message(subject: str) -> bytes:
    return f"Subject: {subject}\r\nFrom: a@example.com\r\n\r\nbody\r\n".encode()


def test_rows_of_another_writer_are_announced_once_and_own_rows_never(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with SQLiteStore(path) as server, open_store(path) as other:
        server.add(message("before the follower"), ENVELOPE)
        heard: list[StoreEvent] = []
        server.subscribe(heard.append)
        with Follower(server) as follower:
            assert follower.poll() == []
            own = server.add(message("own"), ENVELOPE)
            foreign = [other.add(message(f"foreign {n}"), ENVELOPE) for n in range(3)]
            announced = follower.poll()
            assert follower.poll() == []
    assert announced == foreign
    assert [(e.kind, e.ids) for e in heard] == [("new", (own,))] + [
        ("new", (id,)) for id in foreign
    ]
    assert [e.summary.subject for e in heard if e.summary] == ["own"] + [
        f"foreign {n}" for n in range(3)
    ]


def test_a_large_foreign_import_is_announced_once_each(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with SQLiteStore(path) as server, open_store(path) as other, Follower(server) as follower:
        heard: list[str] = []
        server.subscribe(lambda event: heard.extend(event.ids if event.kind == "new" else ()))

        async def add_all() -> list[str]:
            # Added together, they share commits (quick).
            batch = (other.aadd(message(f"n{n}"), ENVELOPE) for n in range(1205))
            return list(await asyncio.gather(*batch))

        added = asyncio.run(add_all())
        follower.poll()
    # Each one announced once: by the follower, or by this store's own indexer
    # when it completed rows the other store had not indexed yet.
    assert sorted(heard) == sorted(added)


def test_a_foreign_delete_all_then_new_rows_are_still_seen(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with SQLiteStore(path) as server, open_store(path) as other, Follower(server) as follower:
        for n in range(5):
            other.add(message(f"old {n}"), ENVELOPE)
        assert len(follower.poll()) == 5
        other.delete(None)
        fresh = other.add(message("after truncate"), ENVELOPE)
        assert follower.poll() == [fresh]


def test_the_thread_announces_without_being_asked_and_stops(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with SQLiteStore(path) as server, open_store(path) as other:
        arrived = threading.Event()
        server.subscribe(lambda event: arrived.set())
        follower = Follower(server, interval=0.02)
        follower.start()
        other.add(message("live"), ENVELOPE)
        assert arrived.wait(30)
        follower.close()
        follower.close()


def test_a_store_opened_to_follow_announces_foreign_rows(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with open_store(path, follow=True) as server, open_store(path) as other:
        arrived = threading.Event()
        heard: list[str] = []

        def hear(event: StoreEvent) -> None:
            heard.extend(event.ids)
            arrived.set()

        server.subscribe(hear)
        foreign = other.add(message("live"), ENVELOPE)
        assert arrived.wait(30)
    assert heard == [foreign]
