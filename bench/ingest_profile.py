"""bench/ingest.py --profile: where ``pochta serve`` spends its CPU under load.

py-spy (``.venv/bin/pip install py-spy``; not a dependency) samples a
``pochta serve`` subprocess while a load runs, with ``--gil``: only the
thread holding the GIL is sampled, so a share here is a share of the time
Python code ran, and the samples per second of wall clock say how busy the
GIL was. (Without ``--gil`` py-spy also counts threads sleeping in
``time.sleep`` or waiting on an fsync.) ``--profile-idle`` samples every
thread, waiting or not. Native code that releases the GIL (SQLite's
statements and fsync, zlib on large buffers, socket calls) is not in these
samples: ``perf record -e cpu-clock -p PID`` shows it. For each thread the
heaviest frames are printed twice: *inclusive* (the frame or anything it
called was running) and *self* (the frame itself was the innermost Python frame).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["print_profile", "record"]

_PLUMBING = ("threading.py", "click/core.py", "runners.py", "<module>", "cli.py")


def record(pid: int, out: Path, seconds: float, load: Callable[[], None], *, idle: bool) -> None:
    """Sample every thread of ``pid`` for ``seconds`` while ``load()`` runs; raw to ``out``."""
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    command = [str(spy), "record", "--pid", str(pid), "--threads", "--format", "raw"]
    command += ["--rate", "200", "--duration", str(max(1, int(seconds))), "-o", str(out)]
    command += ["--idle"] if idle else ["--gil"]
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # py-spy attaches
    load()
    sampler.wait()


def print_profile(title: str, out: Path, seconds: float, top: int = 14) -> None:
    """Print the share of samples per thread, then each busy thread's heaviest frames."""
    threads: dict[str, int] = {}
    inclusive: dict[str, dict[str, int]] = {}
    own: dict[str, dict[str, int]] = {}
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, samples = stack.split(";"), int(count)
        thread = frames[0].split(": ", 1)[-1].split(" /")[0]
        total += samples
        threads[thread] = threads.get(thread, 0) + samples
        counts = inclusive.setdefault(thread, {})
        for frame in set(frames[1:]):
            if not any(word in frame for word in _PLUMBING):
                counts[frame] = counts.get(frame, 0) + samples
        innermost = own.setdefault(thread, {})
        innermost[frames[-1]] = innermost.get(frames[-1], 0) + samples
    busy = total / 200 / seconds  # --rate 200
    print(f"\n{title}: {total} samples, {busy:.0%} of the wall clock")
    for thread, samples in sorted(threads.items(), key=lambda item: -item[1])[:4]:
        print(f"  {samples / total:6.1%}  thread {thread}")
        for heading, table in (("inclusive", inclusive), ("self", own)):
            print(f"    {heading}:")
            ranked = sorted(table[thread].items(), key=lambda item: -item[1])[:top]
            for frame, count in ranked:
                print(f"      {count / total:6.1%}  {frame}")
