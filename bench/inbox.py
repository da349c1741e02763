"""Measure the inbox: first contentful paint of the list page with 100,000 stored messages.

Run: .venv/bin/python bench/inbox.py [--messages 100000] [--repeat 20] [--fill-cap 900]

The store is bench/api.py's cached one when that script is there (filled
once, kept in /tmp/pochta-bench/ and reused); otherwise one is filled here
with ``Store.aadd`` in a temporary folder, for at most ``--fill-cap`` seconds.
A ``pochta serve`` subprocess opens it, and Debian's Chromium loads the list
page ``--repeat`` times: cold (a new browser context each time, nothing
cached) and warm (reloads in one context, the stylesheet and script cached).
Each load reports Chromium's ``first-contentful-paint``; the medians are
printed with the browser's floor (a one-line ``data:`` page) and next to the
median time of ``GET /api/v1/messages?limit=50`` and of the page's own HTML
(``GET /``), measured in the same run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

from pochta.store import Envelope, open_store
from pochta.testing import PochtaServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
FLOOR = "data:text/html,<!doctype html><title>floor</title><p>one line of text</p>"
FCP = "() => performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)[0]"


def own_message(number: int, rng: random.Random) -> tuple[bytes, Envelope]:
    """Return a small text message ``number`` (used when bench/api.py is not there)."""
    words = " ".join(rng.choices(("order", "reset", "invoice", "report", "team"), k=120))
    raw = (
        f"From: User {number % 500} <user{number % 500}@shop.example>\r\n"
        f"To: customer{number}@example.com\r\nSubject: Message #{number}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{words}\r\n"
    ).encode()
    return raw, Envelope("app@example.com", (f"customer{number}@example.com",))


async def fill_own(path: Path, count: int, cap: float) -> int:
    """Fill a new store at ``path`` with ``count`` messages, for at most ``cap`` seconds."""
    rng = random.Random(7)
    started, done = time.monotonic(), 0
    with open_store(path) as store:
        while done < count and time.monotonic() - started < cap:
            batch = [own_message(n, rng) for n in range(done, min(count, done + 2000))]
            await asyncio.gather(*(store.aadd(raw, env) for raw, env in batch))
            done += len(batch)
            print(f"\rfilled {done}/{count}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return done


def store_path(count: int, cap: float, folder: Path) -> tuple[Path, int]:
    """Return a store holding up to ``count`` messages, and how many it holds."""
    try:
        import api  # bench/api.py: its cached 100,000-message store

        path, held = api.ensure_store(count, cap)
        return Path(path), int(held)
    except ImportError:
        path = folder / "mail.db"
        return path, asyncio.run(fill_own(path, count, cap))


def http_ms(client: httpx.Client, path: str, repeat: int) -> float:
    """Return the median milliseconds of ``GET path`` over ``repeat`` requests."""
    client.get(path).raise_for_status()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def paint_ms(page: Page, url: str = "") -> float:
    """Open ``url`` (or reload the page) and return its first contentful paint, in ms."""
    if url:
        page.goto(url)
    else:
        page.reload()
    page.wait_for_function(f"() => ({FCP})() !== undefined")
    return float(page.evaluate(FCP))


def paints(browser: Browser, url: str, repeat: int) -> tuple[float, float]:
    """Return the median first contentful paint of ``url``, cold and warm, in ms."""
    cold = []
    for _ in range(repeat):
        context = browser.new_context()
        page = context.new_page()
        cold.append(paint_ms(page, url))
        context.close()
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    warm = [paint_ms(page) for _ in range(repeat)]
    context.close()
    return statistics.median(cold), statistics.median(warm)


def main() -> None:
    """Fill (or reuse) the store, start the server, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--fill-cap", type=float, default=900.0, help="seconds to fill at most")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pochta-inbox-bench-") as folder:
        database, held = store_path(args.messages, args.fill_cap, Path(folder))
        with PochtaServer.start(database=database) as server:
            url = server.url
            with httpx.Client(base_url=url, timeout=60) as client:
                api_ms = http_ms(client, "/api/v1/messages?limit=50", args.repeat)
                html_ms = http_ms(client, "/", args.repeat)
                last_ms = http_ms(client, f"/?start={max(0, held - 50)}", args.repeat)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                cold, warm = paints(browser, url + "/", args.repeat)
                floor, _ = paints(browser, FLOOR, args.repeat)
                browser.close()
    print(f"pochta serve holding {held:,} messages; medians of {args.repeat} each")
    print(f"  GET /api/v1/messages?limit=50   {api_ms:7.2f} ms  (the JSON API's list)")
    print(f"  GET / (list page HTML)          {html_ms:7.2f} ms")
    print(f"  GET /?start=<last page>         {last_ms:7.2f} ms")
    print(f"  first contentful paint, cold    {cold:7.1f} ms  (new context, nothing cached)")
    print(f"  first contentful paint, warm    {warm:7.1f} ms  (reload, CSS/JS cached)")
    print(f"  first contentful paint, floor   {floor:7.1f} ms  (a one-line data: page)")


if __name__ == "__main__":
    main()
