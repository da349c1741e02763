"""How much memory ``pochta serve`` takes for one large message, step by step (issue 11 item 4).

Run: .venv/bin/python bench/memory.py [--sizes 1,10,50] [--before OLD/src]

For each size (MB of the whole message: a short text and HTML body and one
attachment of random bytes, base64), every step runs in a ``pochta serve``
subprocess of its own, so that what one step keeps does not count against
the next:

- ``receive``: the message over SMTP into an empty store, until the ``250``;
- ``index``: the same server, from the ``250`` until a word search finds it;
- ``list, unindexed``: a fresh server gets the message, and the list is asked
  for right after the ``250`` (while the indexer still works on it), until
  the list answered and the message is indexed;
- ``open in the API``, ``open in the inbox`` (the page and its HTML frame),
  ``download each part``: each a fresh server on the store the first one made.

A thread reads the server's VmRSS from /proc/PID/status every millisecond
(VmHWM, the kernel's own peak, cannot be reset between steps); each figure is
the highest VmRSS during the step minus the server's VmRSS when it had
started and settled ("idle"), divided by the message's size. Issue 11's goal
is 3x or less for every step. ``--before`` runs the same steps, interleaved
size by size, with another tree's ``pochta`` (``PYTHONPATH``). Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import smtplib
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from pochta.testing import PochtaServer

MB = 1024 * 1024
GOAL = 3.0
WORD = "zebrafinch"  # in the text body only: found once the message is indexed
PARTS = ("1.1", "1.2", "2")  # text, HTML, the attachment
STEPS = (
    "receive",
    "index",
    "list, unindexed",
    "open in the API",
    "open in the inbox",
    "download each part",
)


def make_message(size: int) -> bytes:
    """Return a message of about ``size`` bytes: text, HTML and one base64 attachment."""
    data = random.Random(size).randbytes(size * 3 // 4)
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    head = (
        "From: Bench <bench@example.com>\r\nTo: user@example.com\r\n"
        "Subject: a large attachment\r\nMessage-ID: <memory@example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n"
        "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
        f"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe {WORD} report.\r\n"
        f"--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The {WORD} report.</p>\r\n"
        "--inner--\r\n--outer\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="data.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    return head + encoded + b"--outer--\r\n"


class Sampler:
    """Read a process's VmRSS every millisecond on a thread; keep the highest since reset()."""

    def __init__(self, pid: int) -> None:
        """Start sampling process ``pid``."""
        self._path = Path(f"/proc/{pid}/status")
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def rss(self) -> int:
        """Return the process's VmRSS in bytes now (0 once it is gone)."""
        try:
            for line in self._path.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def reset(self) -> None:
        """Start a new step: the peak is now's VmRSS."""
        self.peak = self.rss()

    def _run(self) -> None:
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, self.rss())

    def close(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()


@contextmanager
def serving(database: Path, pythonpath: str | None) -> Iterator[tuple[PochtaServer, Sampler, int]]:
    """Start ``pochta serve`` on ``database``; yield it, its sampler and its idle VmRSS."""
    saved = os.environ.get("PYTHONPATH")
    if pythonpath is not None:
        os.environ["PYTHONPATH"] = pythonpath
    try:
        server = PochtaServer.start("--max-message-size", "1G", database=database)
    finally:
        if pythonpath is not None:
            if saved is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = saved
    sampler = Sampler(server.process.pid)
    try:
        warm_up(server)
        yield server, sampler, sampler.rss()
    finally:
        sampler.close()
        server.stop()


def warm_up(server: PochtaServer) -> None:
    """Send a small message and ask for the list, the inbox and that message, then settle.

    What the first request or message costs once (imports, templates, caches)
    is then part of "idle", not of the step measured next.
    """
    send(server, make_message(4096).replace(WORD.encode(), b"warm"))
    with httpx.Client(base_url=server.url, timeout=60) as client:
        newest = client.get("/api/v1/messages").json()["messages"][0]["ID"]
        for url in ("/", f"/message/{newest}", f"/api/v1/message/{newest}"):
            client.get(url).raise_for_status()
        client.get(f"/api/v1/message/{newest}/part/2").raise_for_status()
    time.sleep(1.0)


def step(sampler: Sampler, idle: int, action: Callable[[], object]) -> int:
    """Run ``action``; return the highest VmRSS during it over ``idle``, in bytes."""
    sampler.reset()
    action()
    time.sleep(0.005)  # one more sample after the answer
    return sampler.peak - idle


def send(server: PochtaServer, raw: bytes) -> None:
    """Send ``raw`` over SMTP and return after the ``250``."""
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=600) as client:
        client.sendmail("bench@example.com", ["user@example.com"], raw)


def wait_indexed(client: httpx.Client) -> None:
    """Return once a word search finds the message (at most 10 minutes)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        found = client.get("/api/v1/search", params={"query": WORD}).json()
        if found["messages_count"]:
            return
        time.sleep(0.02)
    raise TimeoutError("the message was not indexed within 10 minutes")


def measure(size: int, pythonpath: str | None) -> dict[str, int]:
    """Run every step for one message of ``size`` bytes; return bytes over idle per step."""
    raw = make_message(size)
    figures: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="pochta-memory-") as folder:
        database = Path(folder) / "mail.db"
        with serving(database, pythonpath) as (server, sampler, idle):
            figures["receive"] = step(sampler, idle, lambda: send(server, raw))
            with httpx.Client(base_url=server.url, timeout=600) as client:
                figures["index"] = step(sampler, idle, lambda: wait_indexed(client))
                found = client.get("/api/v1/search", params={"query": WORD}).json()
                message_id = found["messages"][0]["ID"]
        other = Path(folder) / "other.db"
        with (
            serving(other, pythonpath) as (server, sampler, idle),
            httpx.Client(base_url=server.url, timeout=600) as client,
        ):

            def list_unindexed() -> None:
                send(server, raw)
                client.get("/api/v1/messages").raise_for_status()
                wait_indexed(client)

            figures["list, unindexed"] = step(sampler, idle, list_unindexed)
        paths = {
            "open in the API": [f"/api/v1/message/{message_id}"],
            "open in the inbox": [f"/message/{message_id}", f"/message/{message_id}/body.html"],
            "download each part": [f"/api/v1/message/{message_id}/part/{p}" for p in PARTS],
        }
        for name, urls in paths.items():
            with (
                serving(database, pythonpath) as (server, sampler, idle),
                httpx.Client(base_url=server.url, timeout=600) as client,
            ):

                def get_all(urls: list[str] = urls, client: httpx.Client = client) -> None:
                    for url in urls:
                        client.get(url).raise_for_status()

                figures[name] = step(sampler, idle, get_all)
    return figures


def main() -> None:
    """Measure each size (interleaved with ``--before``), print the ratios to the size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50", help="message sizes in MB, comma-separated")
    parser.add_argument("--before", metavar="OLD/src", help="another tree's src, measured too")
    args = parser.parse_args()
    trees: dict[str, str | None] = {"this tree": None}
    if args.before:
        trees = {"before": str(Path(args.before).resolve()), "after": None}
    results: dict[tuple[str, int], dict[str, int]] = {}
    sizes = [int(s) for s in args.sizes.split(",")]
    for size in sizes:
        for name, path in trees.items():
            results[name, size] = measure(size * MB, path)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"peak VmRSS over idle / message size (goal <= {GOAL:.0f}x); load average {load}")
    columns = [(name, size) for size in sizes for name in trees]
    print(f"  {'step':20}" + "".join(f"{f'{n} {s} MB':>16}" for n, s in columns))
    for name in STEPS:
        cells = []
        for tree, size in columns:
            over = results[tree, size][name]
            cells.append(f"{over / (size * MB):6.2f}x {over / MB:6.0f}MB")
        print(f"  {name:20}" + "".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main()
