"""Time ``make serve`` on a fresh clone, to its ready line, against the old set-up.

    python bench/setup.py [--repo PATH] [--rounds 2]

Each round clones ``--repo`` (default: this checkout's repository) twice
into a temporary folder and measures, from ``make`` to the ``Store`` line
``pochta serve`` prints once it answers:

* ``make serve``: what the README's first command does now (the runtime
  dependencies only, scripts/venv.py);
* ``baseline``: what it did before, the old recipe of ``.venv/.pochta-dev``:
  a virtual environment with pip, pip upgraded, everything ``make test``
  needs (pytest, Playwright, mypy, ruff, Django...), then ``pochta serve``.

The two alternate, so machine load falls on both alike; wall time and CPU
time of the children are printed, and the ratio of each to the baseline.
Both servers listen on free ports (``POCHTA_SMTP``/``POCHTA_LISTEN``).
Needs git, make and a package index pip can reach; takes minutes.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "POCHTA_SMTP": "127.0.0.1:0", "POCHTA_LISTEN": "127.0.0.1:0"}


def children_cpu() -> float:
    """Return the CPU seconds (user and system) of every waited-for child so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def until_ready(command: list[str], cwd: Path) -> None:
    """Run ``command`` (ending in ``pochta serve``) until it prints its Store line; stop it."""
    process = subprocess.Popen(
        command, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if line.startswith("Store "):
                return
        raise RuntimeError(f"{' '.join(command)} ended before it was ready")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()


def baseline_setup() -> list[list[str]]:
    """Return the commands the Makefile's old ``.venv/.pochta-dev`` recipe ran before ``serve``."""
    python = subprocess.run(
        ["scripts/find-python"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    pip = [".venv/bin/python", "-m", "pip", "install", "--quiet"]
    return [[python, "-m", "venv", ".venv"], [*pip, "--upgrade", "pip"], [*pip, "-e", ".[dev]"]]


def measure(variant: str, repo: Path, folder: Path) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds) of one fresh clone set up and served by ``variant``."""
    clone = folder / variant.replace(" ", "-")
    subprocess.run(["git", "clone", "--quiet", str(repo), str(clone)], check=True)
    cpu, started = children_cpu(), time.monotonic()
    if variant == "baseline":
        for command in baseline_setup():
            subprocess.run(command, cwd=clone, env=ENV, check=True, stdout=subprocess.DEVNULL)
        until_ready([str(clone / ".venv" / "bin" / "pochta"), "serve"], clone)
    else:
        until_ready(["make", "--quiet", "serve"], clone)
    return time.monotonic() - started, children_cpu() - cpu


def main() -> None:
    """Measure both variants ``--rounds`` times, alternating, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    figures: dict[str, list[tuple[float, float]]] = {"baseline": [], "make serve": []}
    with tempfile.TemporaryDirectory(prefix="pochta-bench-setup-") as temporary:
        for number in range(args.rounds):
            for variant in figures:
                folder = Path(temporary) / str(number)
                folder.mkdir(exist_ok=True)
                wall, cpu = measure(variant, args.repo, folder)
                figures[variant].append((wall, cpu))
                print(f"round {number + 1}: {variant:<10} {wall:6.1f} s wall {cpu:6.1f} s CPU",
                      flush=True)  # fmt: skip
    base_wall = statistics.median(w for w, _ in figures["baseline"])
    base_cpu = statistics.median(c for _, c in figures["baseline"])
    for variant, runs in figures.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{variant:<10} median {wall:6.1f} s wall ({wall / base_wall:.2f} of the baseline), "
              f"{cpu:6.1f} s CPU ({cpu / base_cpu:.2f})")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    sys.exit(main())
