"""How soon a word search finds a message after its ``250``, while 1,000 messages a second arrive.

Run: .venv/bin/python bench/fresh.py [--rate 1000] [--seconds 8] [--probes 12]
     [--before OLD/src] [--rounds 2]

A real ``pochta serve`` (a fresh store in a temporary folder) takes a paced
load of bench/ingest.py's small text+HTML messages (~2.5 KB) from
``--connections`` client processes (pipelined, one write a message, each
sending its share of ``--rate`` on a fixed schedule; a client that falls
behind sends as fast as the server answers). Meanwhile the probe sends one
message of the same shape with ``smtplib``, whose subject and text body each
hold a word found in no other message, and polls ``GET /api/v1/search`` for
one of them (the subject's and the body's in turn, probe by probe; every 5
ms, then a tenth of the wait so far, at most 0.25 s) until it is found: the
figure is the milliseconds from its ``250`` (``sendmail`` returning) to the
end of the first answer that lists it, beside what that request itself
took. The probes run on threads of their own, spread over the load; the
same probes run one by one before the load starts, the baseline of the
same run. It prints medians and the worst probe beside issue 17's target
(50 ms), the load each server really took and its CPU time. ``--before OLD/src`` runs an
older tree's ``pochta serve`` in the same rounds, interleaved (before,
after, before, after). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import smtplib
import socket
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

import httpx
from ingest_launch import free_port, start_server
from ingest_source import cpu_seconds

from ingest import TRANSACTION, Replies, make_message, stuff

TARGET_MS = 50.0
POLL_CAP = 30.0  # seconds a probe polls at most
POLL_GAP = 0.005  # seconds between two polls of one probe at least
WHERE = ("subject", "body")  # where the probes' words are, in turn


def paced_client(args: tuple[int, float, float, float, Any]) -> None:
    """Send small messages to ``port`` at ``rate`` a second from ``start`` until ``stop``."""
    port, rate, start, stop, results = args
    stuffed = [stuff(make_message("small", n)) for n in range(8)]
    sent = 0
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            reader = Replies(sock)
            reader.expect(1)
            sock.sendall(b"EHLO load\r\n" + TRANSACTION)
            reader.expect(1, multiline=True)
            reader.expect(3)
            time.sleep(max(0.0, start - time.time()))
            while True:
                due = start + sent / rate
                time.sleep(max(0.0, due - time.time()))
                more = time.time() < stop
                sock.sendall(stuffed[sent % len(stuffed)] + (TRANSACTION if more else b"QUIT\r\n"))
                reader.expect(4 if more else 2)
                sent += 1
                if not more:
                    break
    except Exception as exc:  # report instead of leaving the parent waiting
        results.put(f"{type(exc).__name__}: {exc}")
        return
    results.put(sent)


def probe_message(subject_word: str, body_word: str) -> bytes:
    """Return a text+HTML message like the load's, with one rare word in subject and body."""
    message = EmailMessage()
    message["From"], message["To"] = "Probe <probe@example.com>", "user@example.com"
    message["Subject"] = f"Order {subject_word} has shipped"
    line = "Hello customer, your order is on its way to you."
    message.set_content(f"{line}\n" * 6 + f"Your code is {body_word}.\n" + f"{line}\n" * 5)
    message.add_alternative(f"<html><body><p>{line}</p><p>{body_word}</p></body></html>\n", "html")
    return message.as_bytes(policy=SMTP_POLICY)


def probe(smtp_port: int, http: httpx.Client, where: str) -> tuple[str, float, float]:
    """Send one probe; return (where, ms from its 250 to a search finding the word of
    ``where`` ("subject" or "body"), ms the last search request itself took)."""
    subject_word, body_word = (f"zq{secrets.token_hex(5)}" for _ in range(2))
    word = subject_word if where == "subject" else body_word
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.sendmail(
            "probe@example.com", ["user@example.com"], probe_message(*(subject_word, body_word))
        )
        acknowledged = time.perf_counter()
    while (waited := time.perf_counter() - acknowledged) < POLL_CAP:
        asked = time.perf_counter()
        answer = http.get("/api/v1/search", params={"query": word, "limit": 1})
        answered = time.perf_counter()
        if answer.json()["messages_count"]:
            return where, (answered - acknowledged) * 1000, (answered - asked) * 1000
        # Polls further apart the longer it takes (10 % of the wait): a busy poll loads the server.
        time.sleep(min(0.25, max(POLL_GAP, waited / 10)))
    return where, float("nan"), float("nan")


@dataclass
class Run:
    """One server's figures in one round."""

    quiet: list[tuple[str, float, float]] = field(default_factory=list)
    busy: list[tuple[str, float, float]] = field(default_factory=list)
    rate: float = 0.0
    cpu_ms: float = 0.0


def run_one(source: Path | None, args: argparse.Namespace) -> Run:
    """Start pochta serve (from ``source``), probe it quiet, then under the paced load."""
    run = Run()
    smtp_port, http_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="pochta-fresh-") as folder:
        server = start_server(
            "pochta serve", smtp_port, Path(folder), source=source, listen=http_port
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=30) as http:
                wait_ready(http)
                for number in range(args.quiet_probes):
                    run.quiet.append(probe(smtp_port, http, WHERE[number % 2]))
                run.rate, run.cpu_ms, run.busy = under_load(server.pid, smtp_port, http, args)
        finally:
            server.terminate()
            server.wait(30)
    return run


def wait_ready(http: httpx.Client) -> None:
    """Wait (30 s at most) until the API answers searches, not just /readyz."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if http.get("/api/v1/search", params={"query": "warmup"}).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the API did not answer within 30 s")


def under_load(
    pid: int, smtp_port: int, http: httpx.Client, args: argparse.Namespace
) -> tuple[float, float, list[tuple[str, float, float]]]:
    """Run the paced load and the probes; return (msgs/s taken, server CPU ms/msg, probes)."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start = time.time() + 1.5  # the clients' start-up (spawn) is not part of the load
    stop = start + args.seconds
    share = args.rate / args.connections
    job = (smtp_port, share, start, stop, results)
    workers = [context.Process(target=paced_client, args=(job,)) for _ in range(args.connections)]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, start - time.time()))
    cpu = cpu_seconds(pid)
    gap = (args.seconds - 1.0) / args.probes
    pending = []
    # Each probe on a thread of its own: one still polling does not hold up the next.
    with ThreadPoolExecutor(args.probes) as pool:
        for number in range(args.probes):
            time.sleep(max(0.0, start + 1.0 + number * gap - time.time()))
            pending.append(pool.submit(probe, smtp_port, http, WHERE[number % 2]))
    probes = [p.result() for p in pending]
    outcomes = [results.get(timeout=args.seconds + 120) for _ in workers]
    wall = time.time() - start
    cpu = cpu_seconds(pid) - cpu
    for worker in workers:
        worker.join()
    failures = [o for o in outcomes if isinstance(o, str)]
    if failures:
        raise RuntimeError(f"a client failed: {failures[0]}")
    sent = sum(int(o) for o in outcomes)
    return sent / wall, cpu * 1000 / max(sent, 1), probes


def summary(times: list[float]) -> str:
    """Return 'median / worst' of some milliseconds (nan: never found within POLL_CAP)."""
    if not times:
        return "-"
    worst = max(times, key=lambda t: float("inf") if t != t else t)
    return f"{statistics.median(times):7.1f} / {worst:7.1f} ms"


def main() -> None:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="messages a second offered")
    parser.add_argument("--seconds", type=float, default=8.0, help="of load per round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--probes", type=int, default=12, help="probes under the load")
    parser.add_argument("--quiet-probes", type=int, default=5, help="probes before the load")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--before", type=Path, help="an older tree's src folder, run beside")
    args = parser.parse_args()
    trees: dict[str, Path | None] = {"after": None}
    if args.before is not None:
        trees = {"before": args.before, "after": None}
    runs: dict[str, list[Run]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, source in trees.items():
            runs[name].append(run_one(source, args))
    print(
        f"pochta serve, {args.rate:.0f} msg/s offered over {args.connections} connections for"
        f" {args.seconds:.0f} s; ms from the probe's 250 to a search finding it, median / worst"
        f" (target {TARGET_MS:.0f} ms); load average {os.getloadavg()[0]:.1f}"
    )
    for name, rounds in runs.items():
        for number, run in enumerate(rounds, 1):
            print(
                f"  {name} #{number}: load taken {run.rate:6.0f} msg/s,"
                f" server cpu {run.cpu_ms:.2f} ms/msg (probes and searches included)"
            )
            for label, probes in (("quiet", run.quiet), ("load", run.busy)):
                found = {w: [p[1] for p in probes if p[0] == w] for w in WHERE}
                asked = [p[2] for p in probes]
                print(
                    f"    {label:5}: subject word {summary(found['subject'])},"
                    f" body word {summary(found['body'])};"
                    f" the finding request itself {summary(asked)}"
                )


if __name__ == "__main__":
    main()
