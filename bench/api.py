"""Measure the HTTP API of a real ``pochta serve`` holding 100,000 messages.

Run: .venv/bin/python bench/api.py [--messages 100000] [--repeat 50] [--rounds 3]
     [--fill-cap 900] [--cache DIR] [--postgres [URL]]

The store is filled once through ``Store.aadd`` (many concurrent adds share
each commit) and kept in /tmp/pochta-bench/ under a name that changes when
the store's code does, so later runs reuse it. Then a ``pochta serve``
subprocess opens it, and one httpx keep-alive client times each request:
list the newest 50, open one message, a word search, a ``from:`` search,
and opening a message with a 20 MB attachment (sent over SMTP once the
server is up, indexed, deleted at the end), printed as a ratio to opening a
small one (issue 17: within 3x, the checksums being stored at index time).
Each figure is a median over ``--repeat`` requests, printed beside its target
and beside the bare HTTP round trip (``GET /livez``) measured in the same run.
The server's resident memory (VmRSS) is read from /proc after the requests.
With ``--postgres`` the same messages also go into a PostgreSQL database (a
throwaway cluster with fsync on, unless a URL is given; filled anew each
run), and both stores are served at once and measured side by side, in
``--rounds`` interleaved rounds (the order turns each round; each figure is
the median of the rounds'). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import os
import random
import smtplib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from throwaway import databases  # bench/throwaway.py

from pochta.store import Envelope, open_store
from pochta.testing import PochtaServer

CACHE = Path("/tmp/pochta-bench")
STORE_CODE = Path(__file__).resolve().parent.parent / "src" / "pochta" / "store"
TARGETS_MS = {
    "list 50": 10.0,
    "list 50, last page": 20.0,
    "open one": 20.0,
    "word search": 50.0,
    "from: search": 50.0,
}
MEMORY_TARGET_MB = 150.0
WORDS = [
    "order", "shipped", "parcel", "track", "delivery", "address", "payment", "account",
    "password", "reset", "link", "confirm", "welcome", "team", "update", "weekly", "report",
    "meeting", "project", "task", "deadline", "review", "thanks", "regards", "please", "note",
    "attached", "schedule", "customer", "support", "ticket", "status", "release", "build",
    "deploy", "server", "database", "backup", "alert", "warning", "error", "notice", "summary",
    "digest", "survey", "feedback",
]  # fmt: skip
RARE = "quokka"  # in about one message of a hundred: the word search
SENDERS = 500  # user0..user499@shop.example: the from: search


def message(number: int, rng: random.Random) -> tuple[bytes, Envelope]:
    """Return message ``number``: a subject, a ~1 KB text body, sometimes an HTML part."""
    sender = f"user{number % SENDERS}@shop.example"
    words = rng.choices(WORDS, k=160)
    if number % 100 == 7:
        words[rng.randrange(len(words))] = RARE
    subject = " ".join(rng.choices(WORDS, k=5)).capitalize()
    text = "\r\n".join(" ".join(words[i : i + 16]) for i in range(0, len(words), 16))
    head = (
        f"From: User {number % SENDERS} <{sender}>\r\nTo: customer{number}@example.com\r\n"
        f"Subject: {subject} #{number}\r\nMessage-ID: <bench-{number}@shop.example>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    if number % 3:
        body = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    else:
        body = (
            "Content-Type: multipart/alternative; boundary=alt\r\n\r\n"
            f"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
            f"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>{text}</p>\r\n--alt--\r\n"
        )
    envelope = Envelope(sender, (f"customer{number}@example.com",), "127.0.0.1", "bench")
    return (head + body).encode(), envelope


def cached_store(count: int, cache: Path = CACHE) -> Path:
    """Return the path of a store holding ``count`` generated messages (made once)."""
    digest = hashlib.sha256()
    for path in sorted(STORE_CODE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".sql"):
            digest.update(path.read_bytes())
    return cache / f"api-{count}-{digest.hexdigest()[:12]}.db"


async def fill(path: Path | str, count: int, cap: float) -> int:
    """Add ``count`` messages to a new store at ``path`` (at most ``cap`` seconds)."""
    rng = random.Random(42)
    started = time.monotonic()
    done = 0
    with open_store(path) as store:
        while done < count and time.monotonic() - started < cap:
            batch = [message(n, rng) for n in range(done, min(count, done + 2000))]
            await asyncio.gather(*(store.aadd(raw, env) for raw, env in batch))
            done += len(batch)
            rate = done / (time.monotonic() - started)
            print(f"\rfilled {done}/{count} ({rate:.0f} msgs/s)", end="", file=sys.stderr)
        print("\nwaiting for the indexer", file=sys.stderr)
        await asyncio.to_thread(store.flush)
    return done


def finish_indexing(path: Path) -> None:
    """Open the store and wait until every message is indexed (a cut-short fill leaves some)."""
    with open_store(path) as store:
        store.flush()


def ensure_store(count: int, cap: float, cache: Path = CACHE) -> tuple[Path, int]:
    """Return a store path and how many messages it holds, filling it when needed."""
    path = cached_store(count, cache)
    done_marker = path.with_suffix(".done")
    if done_marker.exists():
        finish_indexing(path)
        return path, int(done_marker.read_text())
    cache.mkdir(parents=True, exist_ok=True)
    for stale in cache.glob(f"{path.stem}*"):
        stale.unlink()
    started = time.monotonic()
    held = asyncio.run(fill(path, count, cap))
    print(f"store made in {time.monotonic() - started:.0f} s: {path}", file=sys.stderr)
    done_marker.write_text(str(held))
    return path, held


def median_ms(action: Callable[[int], httpx.Response], repeat: int) -> float:
    """Return the median milliseconds of ``action(i)`` over ``repeat`` calls, after a warm-up."""
    for number in range(3):
        action(number).raise_for_status()
    times = []
    for number in range(repeat):
        started = time.perf_counter()
        action(number).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def resident_mb(pid: int) -> float:
    """Return a process's resident memory in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def large_message() -> bytes:
    """Return a message with a 20 MB attachment (random bytes, base64) and a text body."""
    data = random.Random(20).randbytes(20 * 1024 * 1024)
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (
        b"From: big@shop.example\r\nTo: customer@example.com\r\nSubject: large\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        b"--b1\r\nContent-Type: text/plain\r\n\r\nThe wombat file.\r\n"
        b"--b1\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="big.bin"\r\n\r\n' + encoded + b"--b1--\r\n"
    )


def add_large(server: PochtaServer) -> tuple[str, float]:
    """Send the large message over SMTP; once a word search finds it, open it once.

    Returns its id and the milliseconds of that first open (no parse of it cached yet).
    """
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=300) as smtp:
        smtp.sendmail("big@shop.example", ["customer@example.com"], large_message())
    deadline = time.monotonic() + 300
    with httpx.Client(base_url=server.url, timeout=300) as client:
        while time.monotonic() < deadline:
            found = client.get("/api/v1/search", params={"query": "wombat"}).json()["messages"]
            if found:
                started = time.perf_counter()
                client.get(f"/api/v1/message/{found[0]['ID']}").raise_for_status()
                return str(found[0]["ID"]), (time.perf_counter() - started) * 1000
            time.sleep(0.05)
    raise TimeoutError("the large message was not indexed within 5 minutes")


def measure(url: str, repeat: int, large_id: str) -> dict[str, float]:
    """Time the baseline and each request; return medians in milliseconds."""
    with httpx.Client(base_url=url, timeout=60) as client:
        listed = client.get("/api/v1/messages", params={"limit": repeat + 3}).json()
        newest, total = listed["messages"], int(listed["total"])
        ids = [m["ID"] for m in newest]
        return {
            "GET /livez (baseline)": median_ms(lambda i: client.get("/livez"), repeat),
            "list 50": median_ms(lambda i: client.get("/api/v1/messages?limit=50"), repeat),
            "list 50, middle page": median_ms(
                lambda i: client.get(f"/api/v1/messages?limit=50&start={total // 2 - 50}"),
                repeat,
            ),
            "list 50, last page": median_ms(
                lambda i: client.get(f"/api/v1/messages?limit=50&start={total - 50}"), repeat
            ),
            "open one": median_ms(lambda i: client.get(f"/api/v1/message/{ids[i]}"), repeat),
            "open 20 MB attachment": median_ms(
                lambda i: client.get(f"/api/v1/message/{large_id}"), repeat
            ),
            "word search": median_ms(
                lambda i: client.get("/api/v1/search", params={"query": RARE}), repeat
            ),
            "from: search": median_ms(
                lambda i: client.get(
                    "/api/v1/search", params={"query": f"from:user{i % SENDERS}@shop.example"}
                ),
                repeat,
            ),
        }


def measure_side_by_side(
    databases_by_kind: dict[str, Path | str], repeat: int, rounds: int
) -> dict[str, tuple[dict[str, float], float, float]]:
    """Serve every store at once; measure them in ``rounds`` interleaved rounds.

    Each round measures every server in turn (the order turns each round, so a
    drift of the machine's load spreads over all of them); a figure is the
    median of the rounds' medians. Returns, by kind, the figures and the
    server's memory (idle after start, after the last round).
    """
    kinds = list(databases_by_kind)
    with contextlib.ExitStack() as stack:
        servers = {
            kind: stack.enter_context(PochtaServer.start(database=databases_by_kind[kind]))
            for kind in kinds
        }
        idle = {kind: resident_mb(server.process.pid) for kind, server in servers.items()}
        added = {kind: add_large(server) for kind, server in servers.items()}
        large = {kind: large_id for kind, (large_id, _) in added.items()}
        seen: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
        for number in range(rounds):
            for kind in kinds[number % len(kinds) :] + kinds[: number % len(kinds)]:
                seen[kind].append(measure(servers[kind].url, repeat, large[kind]))
                print(f"round {number + 1} {kind} done", file=sys.stderr)
        busy = {kind: resident_mb(server.process.pid) for kind, server in servers.items()}
        for kind, server in servers.items():  # the cached store is left as it was
            httpx.request(
                "DELETE", f"{server.url}/api/v1/messages", json={"IDs": [large[kind]]}, timeout=60
            )
    for kind in kinds:  # one request, not a median
        for figures in seen[kind]:
            figures["open 20 MB, first time"] = added[kind][1]
    return {
        kind: (
            {name: statistics.median(r[name] for r in seen[kind]) for name in seen[kind][0]},
            idle[kind],
            busy[kind],
        )
        for kind in kinds
    }


def main() -> None:
    """Fill (or reuse) the store(s), start the servers, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per store")
    parser.add_argument("--fill-cap", type=float, default=900.0, help="seconds to fill at most")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where filled stores are kept")
    parser.add_argument(
        "--postgres", nargs="?", const="", default=None, metavar="URL",
        help="also measure a PostgreSQL store (a throwaway cluster unless URL)",
    )  # fmt: skip
    args = parser.parse_args()
    print(f"load average at the start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    database, held = ensure_store(args.messages, args.fill_cap, args.cache)
    stores: dict[str, Path | str] = {"sqlite": database}
    with contextlib.ExitStack() as stack:
        if args.postgres is not None:
            url = stack.enter_context(databases(args.postgres))()
            started = time.monotonic()
            filled = asyncio.run(fill(url, args.messages, args.fill_cap))
            print(f"PostgreSQL filled in {time.monotonic() - started:.0f} s", file=sys.stderr)
            if filled != held:
                print(f"note: PostgreSQL holds {filled} messages, SQLite {held}")
            stores["postgresql"] = url
        runs = measure_side_by_side(stores, args.repeat, args.rounds)
    print(
        f"pochta serve holding {held} messages; median of {args.rounds} interleaved rounds"
        f" of the median of {args.repeat} requests each"
    )
    for kind, (figures, idle_mb, busy_mb) in runs.items():
        print_run(kind, figures, idle_mb, busy_mb)
    if "postgresql" in runs:
        print("\nPostgreSQL / SQLite, request by request")
        for name in runs["sqlite"][0]:
            lite, pg = runs["sqlite"][0][name], runs["postgresql"][0][name]
            print(f"  {name:22} {lite:7.2f} ms  {pg:7.2f} ms  {pg / lite:5.1f}x")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def print_run(kind: str, figures: dict[str, float], idle_mb: float, busy_mb: float) -> None:
    """Print one store's figures beside their targets and the baseline."""
    baseline = figures["GET /livez (baseline)"]
    print(f"{kind}:")
    for name, ms in figures.items():
        target = TARGETS_MS.get(name)
        versus = f"target < {target:4.0f} ms" if target else "" + " " * 16
        verdict = "" if target is None else ("ok" if ms < target else "OVER")
        print(f"  {name:22} {ms:7.2f} ms  {versus}  {ms / baseline:5.1f}x baseline  {verdict}")
    ratio = figures["list 50, last page"] / figures["list 50"]
    print(f"  {'last page / first':22} {ratio:7.2f}x    target <= 2x (issue 17)")
    ratio = figures["open 20 MB attachment"] / figures["open one"]
    print(f"  {'open 20 MB / small':22} {ratio:7.2f}x    target <= 3x (issue 17)")
    ratio = figures["open 20 MB, first time"] / figures["open one"]
    print(f"  {'first 20 MB / small':22} {ratio:7.2f}x    (the parse not cached yet)")
    verdict = "ok" if busy_mb < MEMORY_TARGET_MB else "OVER"
    print(
        f"  {'server memory (VmRSS)':22} {busy_mb:7.1f} MB  target < {MEMORY_TARGET_MB:.0f} MB",
        end="",
    )
    print(f"  (idle after start: {idle_mb:.1f} MB)  {verdict}")


if __name__ == "__main__":
    main()
