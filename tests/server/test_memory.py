"""pochta serve's memory grows with a large message, not with copies of it (issue 11)."""

from __future__ import annotations

import base64
import random
import smtplib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ServeProcess

MB = 1024 * 1024


def large_message(size: int, word: str) -> bytes:
    """Return a message of about ``size`` bytes: a text body with ``word``, one attachment."""
    data = base64.encodebytes(random.Random(size).randbytes(size * 3 // 4))
    return (
        b"From: app@example.com\r\nTo: user@example.com\r\nSubject: large\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        b"--b1\r\nContent-Type: text/plain\r\n\r\nThe " + word.encode() + b" file.\r\n"
        b"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="data.bin"\r\n\r\n'
        + data.replace(b"\n", b"\r\n")
        + b"--b1--\r\n"
    )


def resident(pid: int) -> int:
    """Return the process's VmRSS in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@contextmanager
def highest_resident(pid: int) -> Iterator[Callable[[], int]]:
    """Sample the process's VmRSS every millisecond; yield a function giving the highest."""
    highest = [resident(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.001):
            highest[0] = max(highest[0], resident(pid))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: highest[0]
    finally:
        stop.set()
        thread.join()


def receive_index_and_read(served: ServeProcess, raw: bytes, word: str) -> None:
    """Send ``raw``, list it while it is indexed, then open it and download its parts."""
    with smtplib.SMTP(*served.smtp, timeout=120) as client:
        client.sendmail("app@example.com", ["user@example.com"], raw)
    served.get("/api/v1/messages").raise_for_status()
    for _ in range(1200):  # at most a minute or two for the indexer
        found = served.get("/api/v1/search", params={"query": word}).json()["messages"]
        if found:
            break
        threading.Event().wait(0.05)
    message_id = found[0]["ID"]
    for path in ("", "/part/1", "/part/2"):
        served.get(f"/api/v1/message/{message_id}{path}").raise_for_status()
    for path in ("", "/body.html"):
        served.get(f"/message/{message_id}{path}").raise_for_status()


def test_a_20_mb_message_takes_at_most_three_times_its_size(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    served = launch_serve("--max-message-size", "100M")
    # What the first message and requests cost once (imports, templates) is not counted.
    receive_index_and_read(served, large_message(64 * 1024, "warm"), "warm")
    raw = large_message(20 * MB, "wombat")
    idle = resident(served.process.pid)
    with highest_resident(served.process.pid) as highest:
        receive_index_and_read(served, raw, "wombat")
        grown = highest() - idle
    # Before issue 11 this took 20 times the message: the list parsed it beside the indexer.
    assert grown <= 3 * len(raw), f"{grown / len(raw):.1f} times the message"
