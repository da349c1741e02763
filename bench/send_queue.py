"""What the queue backend saves the caller, and how fast ``pochta worker`` delivers.

Run: .venv/bin/python bench/send_queue.py [--sends 300] [--messages 400] [--rounds 3]
[--concurrency 1,4]

(Issue 13 asked for ``bench/queue.py``; a script's folder comes first on
``sys.path``, so a ``bench/queue.py`` would shadow the standard library's
``queue`` for every script of bench/ -- bench/ingest_servers.py and
pochta's SQLite writer import it.)

Three servers run on 127.0.0.1 for the whole run: a real ``pochta serve``
subprocess (``PochtaServer.start()``: a temporary SQLite store, durability
normal), a second one whose chaos rules wait ``--delay`` ms before every
reply (a relay across a network, seven replies a message), and aiosmtpd in
a subprocess of its own (bench/ingest_servers.py's ``aiosmtpd``: a handler
that answers 250 and keeps nothing).

1. ``send_mail`` as an application calls it (``using=`` a ``MAILERS``
   alias, so each call makes its backend, as Django's does): through the
   queue backend (one fsynced commit into a queue file), through the smtp
   backend to ``pochta serve``, to the slow ``pochta serve`` and to aiosmtpd.
   The four alternate call by call, in a rotating order; median and p99 of
   each in ms, and the smtp backend's time as a multiple of the queue's.
2. The worker's delivery rate: ``--messages`` messages are queued in a fresh
   queue file (not timed), then ``Worker(...).run(until_empty=True)`` in
   this process delivers them through the smtp backend to one server, with
   ``--concurrency`` threads. Rounds alternate the servers; the median rate
   of each in messages a second, and pochta serve's rate as a fraction of
   aiosmtpd's. Every message is checked to have been sent.

Wall clock, so as noisy as the machine is busy: the load average is printed
at the start and the end. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pochta.mail import EmailMessage, configure, send_mail
from pochta.mail.queue import Worker, open_queue
from pochta.mail.submission import build_submission
from pochta.testing import PochtaServer

HERE = Path(__file__).resolve().parent
SMTP = "pochta.mail.backends.smtp.EmailBackend"
QUEUE = "pochta.mail.backends.queue.EmailBackend"


def free_port() -> int:
    """Return a port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_aiosmtpd(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start bench/ingest_servers.py's aiosmtpd on a free port; return it once it greets."""
    port = free_port()
    command = [sys.executable, str(HERE / "ingest_servers.py"), "aiosmtpd", str(port), str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5):
                return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("aiosmtpd did not start")


def mailers(
    catcher: PochtaServer, slow: PochtaServer, aiosmtpd_port: int, queue_path: Path
) -> dict[str, Any]:
    """The mailers: ``queue`` (to ``catcher``), ``catcher``, ``slow``, ``aiosmtpd``."""
    return {
        "default": {"BACKEND": "pochta.mail.backends.dummy.EmailBackend"},
        "queue": {
            "BACKEND": QUEUE,
            "OPTIONS": {"path": str(queue_path), "delivery_backend": "catcher"},
        },
        "catcher": {
            "BACKEND": SMTP,
            "OPTIONS": {"host": catcher.smtp_host, "port": catcher.smtp_port, "timeout": 30},
        },
        "slow": {
            "BACKEND": SMTP,
            "OPTIONS": {"host": slow.smtp_host, "port": slow.smtp_port, "timeout": 30},
        },
        "aiosmtpd": {
            "BACKEND": SMTP,
            "OPTIONS": {"host": "127.0.0.1", "port": aiosmtpd_port, "timeout": 30},
        },
    }


def time_send(alias: str, number: int) -> float:
    """Call ``send_mail`` once through the mailer ``alias``; return its seconds."""
    started = time.perf_counter()
    sent = send_mail(
        f"Order {number} confirmed",
        f"Hello,\n\nyour order {number} is on its way.\n",
        "shop@example.com",
        [f"customer{number}@example.com"],
        using=alias,
    )
    elapsed = time.perf_counter() - started
    if sent != 1:
        raise SystemExit(f"send_mail through {alias} returned {sent}")
    return elapsed


def p99(values: list[float]) -> float:
    """Return the 99th percentile of ``values``."""
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def bench_send_mail(sends: int) -> dict[str, list[float]]:
    """Time ``sends`` calls through each mailer, alternating; return seconds by alias."""
    aliases = ["queue", "catcher", "slow", "aiosmtpd"]
    times: dict[str, list[float]] = {alias: [] for alias in aliases}
    for alias in aliases:  # one untimed call each: imports, first connection
        time_send(alias, -1)
    for number in range(sends):
        shift = number % len(aliases)
        for alias in aliases[shift:] + aliases[:shift]:
            times[alias].append(time_send(alias, number))
    return times


def deliver_round(folder: Path, target: str, messages: int, concurrency: int) -> float:
    """Queue ``messages`` for mailer ``target`` in a fresh file; return the worker's seconds."""
    path = folder / f"rate-{target}-{concurrency}-{time.monotonic_ns()}.db"
    with open_queue(path) as queue:
        batch = [
            build_submission(
                EmailMessage(
                    f"Newsletter {n}",
                    "Hello,\n\nthis week's news.\n" * 20,
                    "news@example.com",
                    [f"reader{n}@example.com"],
                )
            )
            for n in range(messages)
        ]
        queue.enqueue(batch, backend=target, max_attempts=8)
        worker = Worker(queue, concurrency=concurrency, poll=0.05, retry_delay=0)
        started = time.perf_counter()
        report = worker.run(until_empty=True)
        elapsed = time.perf_counter() - started
        if (report.sent, report.failed, report.retried) != (messages, 0, 0):
            raise SystemExit(f"{target}: the worker reported {report}")
    path.unlink()
    return elapsed


def bench_rates(
    folder: Path, messages: int, rounds: int, concurrencies: list[int]
) -> dict[tuple[str, int], list[float]]:
    """Run the delivery rounds, servers alternating; return messages a second by (target, N)."""
    targets = ["catcher", "aiosmtpd"]
    rates: dict[tuple[str, int], list[float]] = {}
    for number in range(rounds):
        order = targets if number % 2 == 0 else targets[::-1]
        for concurrency in concurrencies:
            for target in order:
                seconds = deliver_round(folder, target, messages, concurrency)
                rates.setdefault((target, concurrency), []).append(messages / seconds)
    return rates


def report_send_mail(times: dict[str, list[float]], delay: float) -> None:
    """Print median and p99 of each mailer, and the smtp backend's as a multiple of the queue's."""
    labels = {
        "queue": "queue backend (fsynced queue file)",
        "catcher": "smtp backend to pochta serve",
        "slow": f"smtp backend, pochta serve +{delay:g} ms/reply",
        "aiosmtpd": "smtp backend to aiosmtpd",
    }
    median: Callable[[list[float]], float] = statistics.median
    count = len(times["queue"])
    print(f"send_mail, {count} calls each, alternating; ms (median, p99), x the queue's")
    for alias, label in labels.items():
        ours, queue = times[alias], times["queue"]
        slower = median(ours) / median(queue), p99(ours) / p99(queue)
        print(
            f"  {label:40} {median(ours) * 1000:7.2f} {p99(ours) * 1000:7.2f}"
            f"   x{slower[0]:5.2f} x{slower[1]:5.2f}"
        )


def report_rates(rates: dict[tuple[str, int], list[float]], messages: int) -> None:
    """Print the median delivery rates and pochta serve's as a fraction of aiosmtpd's."""
    rounds = len(next(iter(rates.values())))
    print(f"worker delivery, {messages} messages a round, {rounds} rounds; median messages/s")
    for concurrency in sorted({n for _, n in rates}):
        catcher = statistics.median(rates["catcher", concurrency])
        baseline = statistics.median(rates["aiosmtpd", concurrency])
        print(
            f"  --concurrency {concurrency:<2}  pochta serve {catcher:7.0f}"
            f"   aiosmtpd {baseline:7.0f}   ratio {catcher / baseline:5.2f}"
        )


def main() -> None:
    """Start both servers, run both parts, print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=300, help="send_mail calls per mailer")
    parser.add_argument("--messages", type=int, default=400, help="messages per delivery round")
    parser.add_argument("--rounds", type=int, default=3, help="delivery rounds per server")
    parser.add_argument("--concurrency", default="1,4", help="worker threads, comma-separated")
    parser.add_argument("--delay", type=float, default=10, help="the slow catcher's ms a reply")
    args = parser.parse_args()
    concurrencies = [int(n) for n in args.concurrency.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="pochta-bench-queue-") as tmp:
        folder = Path(tmp)
        rules = folder / "slow.json"
        rules.write_text(json.dumps({"rules": [{"delay": args.delay / 1000}]}))
        catcher = PochtaServer.start()
        slow = PochtaServer.start("--chaos-rules", str(rules))
        aiosmtpd, port = start_aiosmtpd(folder)
        try:
            configure(MAILERS=mailers(catcher, slow, port, folder / "send_mail.db"))
            times = bench_send_mail(args.sends)
            rates = bench_rates(folder, args.messages, args.rounds, concurrencies)
            caught = catcher.mailbox.count()
        finally:
            catcher.stop()
            slow.stop()
            aiosmtpd.terminate()
            aiosmtpd.wait(30)
    report_send_mail(times, args.delay)
    report_rates(rates, args.messages)
    expected = args.sends + 1 + args.messages * args.rounds * len(concurrencies)
    print(f"pochta serve holds {caught} messages (expected {expected})")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
