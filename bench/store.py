"""Measure the store: ingest rate with group commit, list, open and search latency, compression.

Run: .venv/bin/python bench/store.py [--messages 20000] [--fill 100000] [--only search]

Prints figures; nothing is asserted. The baseline is the same store fed by
one synchronous add() at a time, which pays one commit (fsync) per message.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import sqlite3
import statistics
import tempfile
import time
import zlib
from pathlib import Path

from pochta.store import Envelope, Store, open_store
from pochta.store.sqlite import blob
from pochta.store.sqlite.store import SQLiteStore

ENVELOPE = Envelope("app@example.com", ("user@example.com",), "127.0.0.1", "bench")


WORDS = (
    "order",
    "shipped",
    "parcel",
    "track",
    "delivery",
    "address",
    "invoice",
    "payment",
    "account",
    "password",
    "reset",
    "link",
    "confirm",
    "welcome",
    "team",
    "update",
    "weekly",
    "report",
    "meeting",
    "project",
    "task",
    "deadline",
    "review",
    "thanks",
    "regards",
    "please",
    "note",
    "attached",
    "schedule",
    "customer",
    "support",
    "ticket",
    "status",
)


def small_message(number: int) -> bytes:
    """Return a text+HTML alternative message of about 2.5 KB, its words varied like prose."""
    pick = random.Random(number).choice
    sentences = [" ".join(pick(WORDS) for _ in range(12)).capitalize() + "." for _ in range(11)]
    text = f"Hello user {number},\r\n\r\n" + " ".join(sentences)
    html = f"<html><body><p>Hello user {number},</p><p>" + "</p><p>".join(sentences) + "</p>"
    html += f'<a href="https://shop.example.com/orders/{number}">Track</a></body></html>'
    return (
        f"From: Shop <shop@example.com>\r\nTo: user{number}@example.com\r\n"
        f"Subject: Order {number} shipped\r\nMessage-ID: <{number}@bench.example.com>\r\n"
        f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="=={number}=="\r\n'
        f"\r\n--=={number}==\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--=={number}==\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
        f"--=={number}==--\r\n"
    ).encode()


async def add_concurrently(store: Store, count: int, tasks: int, offset: int = 0) -> None:
    async def worker(first: int) -> None:
        for number in range(first, count, tasks):
            await store.aadd(small_message(offset + number), ENVELOPE)

    await asyncio.gather(*(worker(first) for first in range(tasks)))


def set_synchronous(connection: sqlite3.Connection, value: str) -> None:
    connection.execute(f"PRAGMA synchronous = {value}")


def bench_ingest(folder: Path, count: int) -> None:
    baseline_count = max(count // 10, 100)
    for synchronous in ("OFF", "FULL"):
        with SQLiteStore(folder / f"baseline-{synchronous}.db") as store:
            store._writer.run(functools.partial(set_synchronous, value=synchronous))
            started = time.perf_counter()
            for number in range(baseline_count):
                store.add(small_message(number), ENVELOPE)
            baseline = baseline_count / (time.perf_counter() - started)
            print(f"add() one at a time, synchronous={synchronous:4}: {baseline:6.0f} msgs/s")
    for tasks in (4, 32):
        with SQLiteStore(folder / f"group{tasks}.db") as store:
            started = time.perf_counter()
            asyncio.run(add_concurrently(store, count, tasks))
            rate = count / (time.perf_counter() - started)
            backlog, started = store.info().unindexed, time.perf_counter()
            store.flush()
            print(
                f"aadd() from {tasks:2} tasks, {count} msgs: {rate:8.0f} msgs/s "
                f"({rate / baseline:.2f}x add() with FULL), {store.stats.commits} commits "
                f"({count / store.stats.commits:.1f} msgs per commit); {backlog} left to "
                f"index at the end, indexed in {time.perf_counter() - started:.1f} s"
            )


def median_ms(action: object, repeat: int = 50) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_list(folder: Path, fill: int) -> None:
    """Fill a store with ``fill`` messages, then time listing, opening and searching."""
    with open_store(folder / "list.db") as store:
        started = time.perf_counter()
        asyncio.run(add_concurrently(store, fill, 64))
        filled = time.perf_counter() - started
        backlog = store.info().unindexed
        store.flush()
        indexed = time.perf_counter() - started - filled
        print(
            f"filled {fill} msgs in {filled:.1f} s ({fill / filled:.0f} msgs/s through aadd); "
            f"{backlog} still unindexed then, indexed {indexed:.1f} s later"
        )
        size = sum(p.stat().st_size for p in folder.glob("list.db*"))
        print(f"file size {size / 1e6:.1f} MB ({size / fill:.0f} bytes per message)")
        first = median_ms(lambda: store.list_messages(limit=50))
        deep = median_ms(lambda: store.list_messages(start=fill - 100, limit=50))
        count = median_ms(store.count, repeat=200)
        print(
            f"list_messages(limit=50) median {first:.2f} ms; at start={fill - 100}: {deep:.2f} ms"
        )
        print(f"count() median {count:.3f} ms")
        bench_open(store, fill)
        bench_search(store, fill)


def bench_open(store: Store, fill: int) -> None:
    """Time what opening one message costs: its summary, raw bytes and full parse."""
    ids = [m.id for m in store.list_messages(start=fill // 2, limit=200).messages]
    pick = iter(ids)

    def open_one() -> None:
        id = next(pick)  # a different message each time: the parse cache does not help
        store.summary(id)
        store.raw(id)
        store.parsed(id)

    print(f"open one message (summary + raw + parse) median {median_ms(open_one, 150):.2f} ms")


SEARCHES = (
    ("a word in almost every message", "invoice"),
    ("a rare word (one message)", "user 12345"),
    ('a phrase "password reset"', '"password reset"'),
    ("from: matching every message", "from:shop"),
    ("to: matching one address", "to:user4242@"),
    ("subject: substring", "subject:4242"),
    ("is:unread -invoice", "is:unread -invoice"),
)


def bench_search(store: Store, fill: int) -> None:
    """Time store.search (first page of 50 with the counts) at ``fill`` messages."""
    for label, query in SEARCHES:
        matched = store.search(query, limit=50).matched
        took = median_ms(lambda q=query: store.search(q, limit=50), repeat=15)  # type: ignore[misc]
        print(f"search {label:32} {query!r:22} median {took:7.2f} ms ({matched} matched)")


def bench_compression() -> None:
    sample = b"".join(small_message(n) for n in range(13))  # a 32 KiB newsletter-like body
    started = time.perf_counter()
    for _ in range(200):
        packed = zlib.compress(sample, 1)
    packing = (time.perf_counter() - started) / 200
    started = time.perf_counter()
    for _ in range(200):
        zlib.decompress(packed)
    unpacking = (time.perf_counter() - started) / 200
    print(
        f"zlib level 1 on a {len(sample) / 1024:.0f} KiB message: {len(packed) / len(sample):.0%} "
        f"of the size, {packing * 1e3:.2f} ms to pack, {unpacking * 1e3:.2f} ms to unpack"
    )
    small = small_message(1)
    print(f"on a {len(small)} byte message: {len(zlib.compress(small, 1)) / len(small):.0%}")


def bench_compression_on_disk(folder: Path, count: int) -> None:
    """Store the same messages with and without compression; compare size and rate."""
    for label, threshold in (("uncompressed", 1 << 62), ("zlib from 1 KiB", 1024)):
        blob.COMPRESS_FROM = threshold
        with open_store(folder / f"{threshold}.db") as store:
            started = time.perf_counter()
            asyncio.run(add_concurrently(store, count, 32))
            rate = count / (time.perf_counter() - started)
            store.flush()  # the full-text index counts too
        size = sum(p.stat().st_size for p in folder.glob(f"{threshold}.db*"))
        print(f"{label:16}: {size / count:6.0f} bytes per message on disk, {rate:6.0f} msgs/s")
    blob.COMPRESS_FROM = 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--fill", type=int, default=100_000, help="0 skips the list benchmark")
    parser.add_argument(
        "--only", choices=("search",), help="search: only fill, list, open and search"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.home()) as folder:
        print(f"store files in {folder} (synchronous=FULL)")
        if arguments.only is None:
            bench_compression()
            bench_compression_on_disk(Path(folder), 3000)
            bench_ingest(Path(folder), arguments.messages)
        if arguments.fill:
            bench_list(Path(folder), arguments.fill)


if __name__ == "__main__":
    main()
