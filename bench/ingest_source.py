"""bench/ingest.py's compiled client: Postfix's ``smtp-source`` against each server.

Run: .venv/bin/python bench/ingest.py --client smtp-source [--rounds 3]

A Python client shares the two cores with the server it measures; a compiled
one takes almost none of them. ``smtp-source -d -s C -m N -F FILE`` (one
process, C sessions, N messages in all, HELO, no PIPELINING) sends the same
file to every server, byte for byte: bench/ingest.py's small text+HTML
message (~2.5 KB) and its message with a 140 KB attachment (~199 KB on the
wire). The servers, all started at once, each in its own process:

- ``postfix-smtp-sink``: Postfix's compiled server, discarding (the ceiling);
- ``aiosmtpd``: aiosmtpd with a discarding handler (bench/ingest_servers.py);
- ``pochta serve``, storing every message durably before its ``250``;
- any other server of bench/ingest.py named with ``--servers``: ``pochta serve
  pg`` (with ``--postgres``) is ``pochta serve`` on a PostgreSQL database, so
  the two stores take the same rounds side by side.

Every load runs ``--rounds`` times, the servers interleaved (the order turns
each round, so a drift of the machine's load spreads over all of them), and
the table gives medians. Before each load the bench waits until every
server is idle (pochta's indexer finishes what the last burst left), so no
server's tail runs into another's load. Besides messages a second (wall
clock, so as noisy as the machine is busy) it reads the server's own CPU
time (utime + stime of every thread, /proc/PID/stat, its ingest process's too): ``cpu/msg`` is what
the server spent from the first message to the last answer, ``after`` what
it spent once the client was done (indexing). Install Postfix's tools
without an MTA::

    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import ingest_profile
from ingest_launch import free_port, start_server

__all__ = ["SOURCE", "Figure", "main", "print_table", "run_rounds"]

SOURCE = Path("/usr/sbin/smtp-source")
#: The servers run by default; ``--servers`` adds any of bench/ingest.py's.
SERVERS = ("postfix-smtp-sink", "aiosmtpd", "pochta serve")
#: ``--before SRC``: pochta serve run from another tree, in the same rounds.
BEFORE = "pochta serve before"
LOADS = (("small", 1), ("small", 4), ("attachment", 1), ("attachment", 4))
#: Issue 17's targets for pochta serve: (kind, connections) -> (baseline server, ratio).
TARGETS = {
    ("small", 1): ("aiosmtpd", 1.0),
    ("small", 4): ("aiosmtpd", 1.5),
    ("attachment", 4): ("postfix-smtp-sink", 0.5),
}
FROM, TO = "app@example.com", "user@example.com"
TICK = os.sysconf("SC_CLK_TCK")

#: One load's figures: msg/s, MB/s, server CPU s/msg to the last answer and after it.
Figure = dict[str, float]


def main(
    args: argparse.Namespace,
    make: Callable[[str, int], bytes],
    new_database: Callable[[], str] = lambda: "",
) -> None:
    """Run the compiled client's rounds (or its profile) and print the table.

    ``new_database`` makes the PostgreSQL database of ``pochta serve pg``.
    """
    if not SOURCE.exists():
        raise SystemExit(f"{SOURCE} is missing: install Postfix (bench/ingest_source.py says how)")
    small, attachment = (int(n) for n in args.count.split(","))
    extra = [n.strip() for n in (args.servers or "").split(",") if n.strip()]
    names = [*SERVERS, *(n for n in extra if n not in SERVERS)]
    if args.before:
        names.append(BEFORE)
    with tempfile.TemporaryDirectory(prefix="pochta-bench-") as folder:
        files = write_files(Path(folder), make)
        if args.profile:
            return profile_source(Path(folder), files, args)
        print(
            f"smtp-source -d -s C -m N -F FILE: small {files['small'].stat().st_size} B "
            f"(N={small}), attachment {files['attachment'].stat().st_size} B (N={attachment}), "
            f"LF in the file, CRLF on the wire; {args.rounds} rounds; {os.cpu_count()} CPUs; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        processes = {}
        try:
            for name in names:
                port = free_port()
                (Path(folder) / name.replace(" ", "-")).mkdir()
                source = args.before if name == BEFORE else None
                database = new_database() if name == "pochta serve pg" else ""
                process = start_server(
                    name,
                    port,
                    Path(folder) / name.replace(" ", "-"),
                    source=source,
                    database=database,
                )
                processes[name] = (process, port)
            servers = {name: (process.pid, port) for name, (process, port) in processes.items()}
            counts = {"small": small, "attachment": attachment}
            loads = [load for load in LOADS if args.loads in f"{load[0]} x{load[1]}"]
            figures = run_rounds(servers, files, counts, args.rounds, loads)
        finally:
            for process, _ in processes.values():
                process.terminate()
                process.wait(timeout=30)
    print_table(figures, names)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def profile_source(folder: Path, files: dict[str, Path], args: argparse.Namespace) -> None:
    """Sample ``pochta serve`` while smtp-source sends each kind over 4 sessions."""
    for kind in ("small", "attachment"):
        port = free_port()
        (folder / kind).mkdir()
        process = start_server("pochta serve", port, folder / kind)
        count = 10**6 if kind == "small" else 10**5
        out = folder / f"{kind}.txt"
        source = [str(SOURCE), "-d", "-s", "4", "-m", str(count), "-F"]
        source += [str(files[kind]), "-f", FROM, "-t", TO, f"127.0.0.1:{port}"]
        client = subprocess.Popen(source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ingest_profile.record(
                process.pid, out, args.seconds, lambda: None, idle=args.profile_idle
            )
        finally:
            client.terminate()
            client.wait()
            process.terminate()
            process.wait(timeout=30)
        ingest_profile.print_profile(f"pochta serve, {kind}, smtp-source x4", out, args.seconds)


def write_files(folder: Path, make: Callable[[str, int], bytes]) -> dict[str, Path]:
    """Write each kind's message for ``-F``: LF line ends (smtp-source sends CRLF)."""
    files = {}
    for kind in ("small", "attachment"):
        files[kind] = folder / f"{kind}.eml"
        files[kind].write_bytes(make(kind, 0).replace(b"\r\n", b"\n"))
    return files


def cpu_seconds(pid: int) -> float:
    """Return the CPU time of every thread of ``pid`` and its children so far (user + system).

    The children: ``pochta serve``'s ingest process (pochta.store.sqlite.ingest).
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    own = (int(fields[11]) + int(fields[12])) / TICK
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return own + sum(_cpu_or_zero(int(child)) for child in children)


def _cpu_or_zero(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # ended meanwhile
        return 0.0


def wait_quiet(pids: Sequence[int], *, idle: float = 0.02, cap: float = 300.0) -> None:
    """Wait until no server in ``pids`` used more than ``idle`` cores over 0.5 s."""
    deadline = time.monotonic() + cap
    before = [cpu_seconds(pid) for pid in pids]
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = [cpu_seconds(pid) for pid in pids]
        if all(b - a <= idle * 0.5 for a, b in zip(before, now, strict=True)):
            return
        before = now
    print(f"  (a server was still busy after {cap:g} s; going on)")


def send(port: int, file: Path, sessions: int, count: int) -> tuple[float, float]:
    """Run smtp-source once; return (wall seconds, its own CPU seconds)."""
    command = [str(SOURCE), "-d", "-s", str(sessions), "-m", str(count), "-F", str(file)]
    command += ["-f", FROM, "-t", TO, "-M", "bench.example.com", f"127.0.0.1:{port}"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.stderr is not None
    error = process.stderr.read().decode(errors="replace").strip()
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"smtp-source exited {process.returncode}: {error}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(pid: int, port: int, file: Path, sessions: int, count: int) -> Figure:
    """Send ``count`` messages from ``file`` over ``sessions``; return the figures."""
    cpu = cpu_seconds(pid)
    wall, client = send(port, file, sessions, count)
    served = cpu_seconds(pid) - cpu
    wait_quiet([pid])
    after = cpu_seconds(pid) - cpu - served
    size = file.stat().st_size + file.read_bytes().count(b"\n")  # CRLF on the wire
    return {
        "msgs": count / wall,
        "mbs": count * size / wall / 1e6,
        "cpu": served / count,
        "after": after / count,
        "client": client / wall,
    }


def run_rounds(
    servers: dict[str, tuple[int, int]],
    files: dict[str, Path],
    counts: dict[str, int],
    rounds: int,
    loads: Sequence[tuple[str, int]] = LOADS,
) -> dict[tuple[str, str, int], list[Figure]]:
    """Run every load ``rounds`` times over ``servers`` (name -> (pid, port)), interleaved."""
    figures: dict[tuple[str, str, int], list[Figure]] = {}
    names = list(servers)
    for number in range(rounds):
        order = names[number % len(names) :] + names[: number % len(names)]
        for kind, sessions in loads:
            for name in order:
                pid, port = servers[name]
                wait_quiet([p for p, _ in servers.values()])
                figure = measure(pid, port, files[kind], sessions, counts[kind])
                figures.setdefault((name, kind, sessions), []).append(figure)
                print(
                    f"  round {number + 1} {name:18} {kind:10} x{sessions} "
                    f"{figure['msgs']:8.0f} msg/s {figure['mbs']:7.1f} MB/s "
                    f"server CPU {figure['cpu'] * 1e3:6.3f} ms/msg "
                    f"(+{figure['after'] * 1e3:.3f} after; client {figure['client']:.2f} cores)",
                    flush=True,
                )
    return figures


BASELINES = ("aiosmtpd", "postfix-smtp-sink")
KEYS = ("msgs", "mbs", "cpu", "after")


def print_table(figures: dict[tuple[str, str, int], list[Figure]], names: list[str]) -> None:
    """Print medians per load and server, with ratios to both baselines and the targets."""
    print(
        "\nmedians; msg/s and MB/s are wall clock (as noisy as the machine is busy);"
        "\ncpu = the server's CPU ms per message up to the last 250; after = its CPU ms per"
        "\nmessage once the client was done (indexing); x = ratio of msg/s (MB/s for"
        "\nattachments) to aiosmtpd's and to smtp-sink's"
    )
    print(
        f"{'load':15}{'server':20}{'msg/s':>8}{'MB/s':>8}{'cpu':>8}{'after':>8}"
        f"{'x aiosmtpd':>11}{'x sink':>8}"
    )
    for kind, sessions in LOADS:
        unit = "mbs" if kind == "attachment" else "msgs"
        bases = [median_of(figures, base, kind, sessions, unit) for base in BASELINES]
        for name in names:
            if (name, kind, sessions) not in figures:
                continue
            row = {key: median_of(figures, name, kind, sessions, key) for key in KEYS}
            cells = f"{kind} x{sessions}".ljust(15) + f"{name:20}{row['msgs']:8.0f}"
            cells += f"{row['mbs']:8.1f}{row['cpu'] * 1e3:8.3f}{row['after'] * 1e3:8.3f}"
            cells += "".join(
                f"{row[unit] / base:{w}.2f}" for base, w in zip(bases, (11, 8), strict=True)
            )
            target = TARGETS.get((kind, sessions))
            if target and name.startswith("pochta serve"):
                cells += f"  target {target[1]:g}x {target[0]}"
            print(cells)


def median_of(
    figures: dict[tuple[str, str, int], list[Figure]],
    name: str,
    kind: str,
    sessions: int,
    key: str,
) -> float:
    """Return the median of one figure over the rounds (nan when that server did not run)."""
    runs = figures.get((name, kind, sessions))
    return statistics.median(run[key] for run in runs) if runs else float("nan")
