"""Ingest benchmark: pochta's SMTP server storing durably vs a discarding aiosmtpd server.

Run: .venv/bin/python bench/ingest.py [--seconds 4] [--profile]   (or ``make bench``)
     .venv/bin/python bench/ingest.py --servers "pochta serve,pochta serve pg" --postgres [URL]
     .venv/bin/python bench/ingest.py --client smtp-source [--rounds 3] [--profile]
     .venv/bin/python bench/ingest.py --client smtp-source --servers "pochta serve pg" --postgres

``--client smtp-source`` drives the servers with Postfix's compiled
``smtp-source`` instead of the Python clients below, against Postfix's
``smtp-sink``, aiosmtpd and ``pochta serve`` in the same run, with the
servers' own CPU time per message (bench/ingest_source.py says how).

The same load goes to five servers, each in its own process, on 127.0.0.1
(the first four live in bench/ingest_servers.py):

- ``aiosmtpd``: aiosmtpd's SMTP protocol with a handler that discards (the baseline);
- ``pochta-discard``: pochta's SMTP server delivering nowhere: the ceiling the
  client can push (if it is close to ``pochta serve``, the client is the limit);
- ``pochta-sqlite``: pochta's SMTP server with a minimal durable writer that
  lives only in bench/ (BENCH-ONLY, not pochta's store): raw bytes into one
  SQLite table, WAL, synchronous=FULL, group commit, no parsing. It shows what
  the SMTP server sustains when storing durably, apart from the store's parsing;
- ``pochta-store-normal``: pochta's SMTP server and store in one process, the
  store opened with ``durability="normal"`` (no fsync per commit: what the
  FULL setting costs);
- ``pochta serve``: the real command as a subprocess, storing every message
  durably (FULL) in pochta's store before answering 250; its indexer parses
  the messages after the answer.

Loads: small text+HTML messages (~2.5 KB) and messages with a 140 KB attachment,
over 1 and 4 connections (one client process per connection), sent by
``smtplib`` (no PIPELINING: four round trips a message) and by a raw-socket
client that pipelines (one write a message: body, end, next MAIL/RCPT/DATA).
Each run stops by itself after ``--small``/``--attachments`` messages per
connection or ``--seconds``.
It prints messages/s, MB/s, the client's CPU use and pochta serve's ratio to
aiosmtpd. ``--profile`` samples ``pochta serve`` (all threads) with py-spy
(``.venv/bin/pip install py-spy``; not a dependency) under the pipelined x4
loads (smtp-source's x4 loads with ``--client smtp-source``) and prints where
its CPU goes (bench/ingest_profile.py). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import smtplib
import socket
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

import ingest_profile
import ingest_source
from ingest_launch import free_port, start_server
from throwaway import databases  # bench/throwaway.py

KINDS = ("small", "attachment")
MODES = ("smtplib", "pipelined")
SERVERS = (
    "aiosmtpd",
    "pochta-discard",
    "pochta-sqlite",
    "pochta-store-normal",
    "pochta serve",
    "pochta serve pg",
)
#: smtp-source's servers by default; ``--servers`` adds any of SERVERS.

FROM, TO = "app@example.com", "user@example.com"
TRANSACTION = f"MAIL FROM:<{FROM}>\r\nRCPT TO:<{TO}>\r\nDATA\r\n".encode()


def make_message(kind: str, number: int) -> bytes:
    """Return a small text+HTML message (~2.5 KB) or one with a 140 KB attachment."""
    message = EmailMessage()
    message["From"], message["To"] = f"Shop <{FROM}>", TO
    message["Subject"] = f"Order {number} has shipped"
    message["Message-ID"] = f"<{number}.{kind}@bench.example.com>"
    lines = [f"Hello customer {number}, your order is on its way to you."] * 12
    message.set_content("\n".join(lines) + "\n")
    links = "".join(
        f'<p><a href="https://shop.example.com/o/{number}/{i}">item {i}</a></p>\n'
        for i in range(10)
    )
    message.add_alternative(
        "<html><body>\n<p>" + "</p>\n<p>".join(lines) + f"</p>\n{links}</body></html>\n",
        subtype="html",
    )
    if kind == "attachment":
        blob = (bytes(range(256)) * 560)[: 140 * 1024]
        message.add_attachment(blob, "application", "octet-stream", filename="invoice.bin")
    return message.as_bytes(policy=SMTP_POLICY)


def stuff(raw: bytes) -> bytes:
    """Dot-stuff a message and add the end marker (RFC 5321 4.5.2)."""
    return (b"\r\n" + raw).replace(b"\r\n.", b"\r\n..")[2:] + b".\r\n"


# -- clients (one process per connection) ---------------------------------------


def send_smtplib(port: int, messages: list[bytes], count: int, deadline: float) -> tuple[int, int]:
    sent = size = 0
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        while sent < count and time.monotonic() < deadline:
            raw = messages[sent % len(messages)]
            smtp.sendmail(FROM, [TO], raw)
            sent, size = sent + 1, size + len(raw)
    return sent, size


def send_pipelined(
    port: int, messages: list[bytes], count: int, deadline: float
) -> tuple[int, int]:
    """Send pre-rendered bytes: after the first, one write per message and one read."""
    stuffed = [stuff(raw) for raw in messages]
    with socket.create_connection(("127.0.0.1", port)) as sock:
        reader = Replies(sock)
        reader.expect(1)
        sock.sendall(b"EHLO bench\r\n" + TRANSACTION)
        reader.expect(1, multiline=True)
        reader.expect(3)
        sent = size = 0
        while True:
            index = sent % len(stuffed)
            more = sent + 1 < count and time.monotonic() < deadline
            sock.sendall(stuffed[index] + (TRANSACTION if more else b"QUIT\r\n"))
            reader.expect(4 if more else 2)
            sent, size = sent + 1, size + len(messages[index])
            if not more:
                return sent, size


class Replies:
    """Read replies from a socket and check that none is a 4xx or 5xx."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.pending = sock, b""

    def expect(self, count: int, *, multiline: bool = False) -> None:
        while True:
            lines = self.pending.split(b"\r\n")
            done = [line for line in lines[:-1] if line[3:4] != b"-"] if multiline else lines[:-1]
            if len(done) >= count:
                break
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.pending += chunk
        taken = lines[: lines.index(done[count - 1]) + 1] if multiline else lines[:count]
        self.pending = b"\r\n".join(lines[len(taken) :])
        bad = [line for line in taken if line[:1] in (b"4", b"5")]
        if bad:
            raise RuntimeError(f"server refused: {bad[0]!r}")


def client(args: tuple[str, str, int, int, float, Any, Any]) -> None:
    kind, mode, port, count, seconds, barrier, results = args
    messages = [make_message(kind, n) for n in range(8)]
    send = send_smtplib if mode == "smtplib" else send_pipelined
    barrier.wait()
    started, cpu = time.monotonic(), time.process_time()
    try:
        sent, size = send(port, messages, count, started + seconds)
    except Exception as exc:  # report instead of leaving the parent waiting
        results.put(f"{type(exc).__name__}: {exc}")
        return
    results.put((sent, size, started, time.monotonic(), time.process_time() - cpu))


def run_load(
    kind: str, mode: str, port: int, connections: int, seconds: float, count: int
) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(connections), context.Queue()
    job = (kind, mode, port, count, seconds, barrier, results)
    workers = [context.Process(target=client, args=(job,)) for _ in range(connections)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    failures = [o for o in outcomes if isinstance(o, str)]
    if failures:
        raise RuntimeError(f"a client failed: {failures[0]}")
    wall = max(o[3] for o in outcomes) - min(o[2] for o in outcomes)
    messages, size = sum(o[0] for o in outcomes), sum(o[1] for o in outcomes)
    return {
        "msgs": messages / wall,
        "mbs": size / wall / 1e6,
        "cpu": sum(o[4] for o in outcomes) / wall,
    }


# -- the run -----------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="time cap of one load")
    parser.add_argument("--small", type=int, default=20_000, help="small messages per connection")
    parser.add_argument(
        "--attachments", type=int, default=1_500, help="140 KB messages per connection"
    )
    parser.add_argument("--profile", action="store_true", help="sample pochta serve with py-spy")
    parser.add_argument(
        "--profile-idle", action="store_true", help="--profile: count waiting threads too"
    )
    parser.add_argument(
        "--client",
        choices=("python", "smtp-source"),
        default="python",
        help="Python clients (smtplib and pipelined) or Postfix's compiled smtp-source",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="smtp-source: also run pochta serve from this src folder (PYTHONPATH), interleaved",
    )
    parser.add_argument("--rounds", type=int, default=3, help="smtp-source: rounds per load")
    parser.add_argument(
        "--count",
        default="2000,300",
        help="smtp-source: messages per load, small,attachment (default 2000,300)",
    )
    parser.add_argument(
        "--servers",
        default=None,
        help=f"comma-separated subset of: {', '.join(SERVERS)} (aiosmtpd is always run; "
        f"default all, or {', '.join(ingest_source.SERVERS)} with --client smtp-source)",
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help="run 'pochta serve pg' on PostgreSQL (a throwaway cluster, fsync on, unless URL)",
    )
    parser.add_argument(
        "--loads",
        default="",
        help='only loads whose label contains this, e.g. "pipelined x4" (default: all)',
    )
    args = parser.parse_args()
    if args.client == "smtp-source":
        with postgres_databases(args) as new_database:
            return ingest_source.main(args, make_message, new_database)
    if args.profile:
        return profile(args.seconds, args.profile_idle)
    sizes = {kind: len(make_message(kind, 0)) for kind in KINDS}
    print(
        f"message sizes: small {sizes['small']} B, attachment {sizes['attachment']} B; "
        f"{os.cpu_count()} CPUs; each load capped at {args.seconds:g} s"
    )
    figures: dict[tuple[str, str, str, int], dict[str, float]] = {}
    chosen = {
        "aiosmtpd",
        *(name.strip() for name in (args.servers or ",".join(SERVERS)).split(",")),
    }
    if args.postgres is None:
        chosen.discard("pochta serve pg")  # only with --postgres
    with (
        tempfile.TemporaryDirectory(prefix="pochta-bench-") as folder,
        postgres_databases(args) as new_database,
    ):
        for server in [name for name in SERVERS if name in chosen]:
            (Path(folder) / server.replace(" ", "-")).mkdir()
            database = new_database() if server == "pochta serve pg" else ""
            figures.update(run_server(server, Path(folder), args, database))
    print_table(figures)


def postgres_databases(
    args: argparse.Namespace,
) -> contextlib.AbstractContextManager[Callable[[], str]]:
    """The maker of PostgreSQL databases for ``pochta serve pg`` (with ``--postgres``)."""
    everyone = args.servers is None and args.client == "python"  # the Python clients' default
    if args.postgres is None or not (everyone or "pochta serve pg" in (args.servers or "")):
        return contextlib.nullcontext(lambda: "")
    return databases(args.postgres)


def loads(pattern: str) -> list[tuple[str, str, int]]:
    """Return every (kind, mode, connections) whose label contains ``pattern``."""
    every = [(k, m, c) for k in KINDS for m in MODES for c in (1, 4)]
    return [load for load in every if pattern in label(*load)]


def label(kind: str, mode: str, connections: int) -> str:
    return f"{kind} {mode} x{connections}"


def run_server(
    server: str, folder: Path, args: argparse.Namespace, database: str = ""
) -> dict[tuple[str, str, str, int], dict[str, float]]:
    """Start one server, run every load against it, stop it (a failed load is left out)."""
    figures = {}
    port = free_port()
    process = start_server(server, port, folder / server.replace(" ", "-"), database=database)
    try:
        for kind, mode, connections in loads(args.loads):
            count = args.small if kind == "small" else args.attachments
            try:
                result = run_load(kind, mode, port, connections, args.seconds, count)
            except Exception as exc:
                print(f"  {server:15} {label(kind, mode, connections):24} FAILED: {exc}")
                continue
            figures[(server, kind, mode, connections)] = result
            print(
                f"  {server:15} {label(kind, mode, connections):24} "
                f"{result['msgs']:8.0f} msg/s {result['mbs']:7.1f} MB/s "
                f"(client CPU {result['cpu']:.2f} cores)",
                flush=True,
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
    return figures


#: Issue 3's targets for pochta serve, as a multiple of aiosmtpd discarding.
TARGETS = {("small", 4): 1.5, ("attachment", 4): 5.0}


#: Column headings of the table, by server.
SHORT = {
    "pochta-discard": "discard",
    "pochta-sqlite": "sqlite*",
    "pochta-store-normal": "normal",
    "pochta serve": "serve",
    "pochta serve pg": "postgres",
}


def print_table(figures: dict[tuple[str, str, str, int], dict[str, float]]) -> None:
    """Print one row per load: each server's figure and its ratio to aiosmtpd."""
    print(
        "\nmsg/s for small messages, MB/s for attachments; x = ratio to aiosmtpd discarding;"
        "\nsqlite* = the bench-only durable writer (no parsing); normal = pochta's store with"
        "\ndurability='normal'; target = issue 3's goal for pochta serve (x aiosmtpd)"
    )
    names = [name for name in SERVERS[1:] if any(key[0] == name for key in figures)]
    header = f"{'load':24}{'aiosmtpd':>9}"
    header += "".join(f"{SHORT[name]:>10}{'x':>6}" for name in names) + f"{'target':>8}"
    print(header)
    for kind, mode, connections in loads(""):
        unit = "msgs" if kind == "small" else "mbs"
        base = figures.get(("aiosmtpd", kind, mode, connections), {}).get(unit)
        if not base:
            continue
        cells = f"{label(kind, mode, connections):24}{base:9.1f}"
        for name in names:
            value = figures.get((name, kind, mode, connections), {}).get(unit)
            cells += f"{value:10.1f}{value / base:6.2f}" if value else f"{'-':>10}{'':6}"
        target = TARGETS.get((kind, connections))
        cells += f"{f'{target:g}x':>8}" if target else ""
        print(cells)


def profile(seconds: float, idle: bool) -> None:
    """Sample ``pochta serve`` (every thread) with py-spy under the pipelined x4 loads."""
    with tempfile.TemporaryDirectory(prefix="pochta-profile-") as folder:
        for kind in KINDS:
            port = free_port()
            process = start_server("pochta serve", port, Path(folder) / kind)
            out = Path(folder) / f"{kind}.txt"
            try:
                ingest_profile.record(
                    process.pid,
                    out,
                    seconds,
                    lambda: run_load(kind, "pipelined", port, 4, seconds, 10**9),  # noqa: B023
                    idle=idle,
                )
            finally:
                process.terminate()
                process.wait(timeout=30)
            ingest_profile.print_profile(f"pochta serve, {kind} pipelined x4", out, seconds)


if __name__ == "__main__":
    main()
