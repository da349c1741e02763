"""How fast ``pochta serve`` starts and stops, against the bare interpreter and aiosmtpd.

Run: .venv/bin/python bench/startup.py [--rounds 10] [--before OLD/src]

Each round starts, interleaved (the order turns each round):

- ``python -c pass``: the bare interpreter, from exec to exit (the floor);
- ``python -m aiosmtpd -n``: from exec to its SMTP greeting, and from
  SIGTERM to exit;
- ``pochta serve --temp``: from exec to its SMTP greeting (``220``), to
  ``GET /readyz`` answering 200, and from SIGTERM to exit;
- ``PochtaServer.start()`` / ``.stop()`` (what the pytest plugin's session
  fixture runs): until it returns, and the stop.

Probes connect every millisecond. Times are wall clock, so on a busy machine
they carry its scheduling delays; the CPU time the child used until it was
ready (its /proc/PID/stat, every thread) is steadier and printed beside them.
Medians over the rounds, and ratios to the bare interpreter. ``--before``
adds ``pochta serve`` from another tree (``PYTHONPATH``) to the same rounds. Nothing is
asserted. Issue 17's targets: SMTP and /readyz within 0.5 s of exec, exit
within 0.2 s of SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pochta.testing import PochtaServer

TICK = os.sysconf("SC_CLK_TCK")
POCHTA = [sys.executable, "-m", "pochta", "serve", "--temp"]


def free_port() -> int:
    """Return a port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """Return the CPU time of every thread of ``pid`` so far (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def answers_smtp(port: int) -> bool:
    """Tell whether something on ``port`` greets with 220."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            ok = sock.recv(100).startswith(b"220")
            sock.sendall(b"QUIT\r\n")
            return ok
    except OSError:
        return False


def answers_ready(port: int) -> bool:
    """Tell whether ``GET /readyz`` on ``port`` answers 200."""
    request = b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(request)
            return sock.recv(100).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def wait_until(
    checks: dict[str, Callable[[], bool]], started: float, process: subprocess.Popen[bytes]
) -> dict[str, float]:
    """Poll each check every millisecond; return the seconds from ``started`` to its success.

    Also ``cpu NAME``: the child's CPU seconds when that check first succeeded.
    """
    times: dict[str, float] = {}
    deadline = started + 60
    while len(times) < 2 * len(checks) and time.perf_counter() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} ended with {process.returncode}")
        for name, check in checks.items():
            if name not in times and check():
                times[name] = time.perf_counter() - started
                times[f"cpu {name}"] = cpu_seconds(process.pid)
        time.sleep(0.001)
    return times


def stop(process: subprocess.Popen[bytes]) -> float:
    """Send SIGTERM; return the seconds until the process has exited."""
    started = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    process.wait(30)
    return time.perf_counter() - started


def run_bare() -> dict[str, float]:
    """Time ``python -c pass`` from exec to exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return {"exit": time.perf_counter() - started}


def run_aiosmtpd() -> dict[str, float]:
    """Time ``python -m aiosmtpd -n`` to its greeting and from SIGTERM to exit."""
    port = free_port()
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = wait_until({"smtp": lambda: answers_smtp(port)}, started, process)
    times["stop"] = stop(process)
    return times


def run_pochta(source: str | None = None) -> dict[str, float]:
    """Time ``pochta serve --temp`` to SMTP, to /readyz, and from SIGTERM to exit."""
    smtp, http = free_port(), free_port()
    command = [*POCHTA, "--smtp", f"127.0.0.1:{smtp}", "--listen", f"127.0.0.1:{http}"]
    env = {**os.environ, "PYTHONPATH": source} if source else None
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    checks = {"smtp": lambda: answers_smtp(smtp), "readyz": lambda: answers_ready(http)}
    times = wait_until(checks, started, process)
    times["stop"] = stop(process)
    return times


def run_fixture() -> dict[str, float]:
    """Time ``PochtaServer.start()`` and ``.stop()``, as the pytest plugin runs them."""
    started = time.perf_counter()
    server = PochtaServer.start()
    ready = time.perf_counter() - started
    cpu = cpu_seconds(server.process.pid)
    started = time.perf_counter()
    server.stop()
    return {"start": ready, "cpu": cpu, "stop": time.perf_counter() - started}


RUNS: dict[str, Callable[[], dict[str, float]]] = {
    "python -c pass": run_bare,
    "python -m aiosmtpd -n": run_aiosmtpd,
    "pochta serve --temp": run_pochta,
    "PochtaServer.start()": run_fixture,
}


def main() -> None:
    """Run the rounds, then print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--before", help="also run pochta serve from this src folder")
    args = parser.parse_args()
    if args.before:
        RUNS["pochta serve (before)"] = lambda: run_pochta(args.before)
    print(f"{args.rounds} rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    results: dict[str, list[dict[str, float]]] = {name: [] for name in RUNS}
    names = list(RUNS)
    for number in range(args.rounds):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            results[name].append(RUNS[name]())
    bare = statistics.median(r["exit"] for r in results["python -c pass"])
    print("medians in ms, wall clock (x = ratio to the bare interpreter's start);")
    print("cpu X = the child's CPU time when X first answered (all threads)")
    for name, runs in results.items():
        cells = []
        for key in runs[0]:
            value = statistics.median(r[key] for r in runs)
            ratio = "" if key.startswith("cpu") or key == "stop" else f" ({value / bare:.1f}x)"
            cells.append(f"{key} {value * 1000:7.1f}{ratio}")
        print(f"  {name:24} " + "   ".join(cells))
    print("targets: pochta serve smtp and readyz < 500 ms, stop < 200 ms")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
