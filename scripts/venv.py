"""Make .venv hold what one make target needs, safely when several makes run at once.

    python scripts/venv.py run    # pochta and its runtime dependencies (make serve)
    python scripts/venv.py dev    # and the test and lint toolchain too (make test, make lint)

Each part has a stamp in .venv (``.pochta-run``, ``.pochta-dev``), newer
than pyproject.toml once the part is installed; ``dev`` includes ``run``.
Creating the environment and installing into it happen under an exclusive
lock on pyproject.toml, so ``make serve`` in one terminal and ``make test``
in another, started together on a fresh clone, take turns: the second waits,
then finds the environment made and installs only what it still lacks.
(Without the lock, one would run pip while the other was still creating the
environment: "No module named pip".)
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
PROJECT = ROOT / "pyproject.toml"
STAMPS = {"run": VENV / ".pochta-run", "dev": VENV / ".pochta-dev"}
TARGETS = {"run": ".", "dev": ".[dev]"}
# A part is also ready when a larger one is: dev holds everything run does.
COVERED_BY = {"run": ("run", "dev"), "dev": ("dev",)}


def fresh(stamp: Path) -> bool:
    """Tell whether ``stamp`` says its part was installed since pyproject.toml changed."""
    return stamp.exists() and stamp.stat().st_mtime >= PROJECT.stat().st_mtime


def ready(part: str) -> bool:
    """Tell whether ``part`` is installed already (by itself or by a larger part)."""
    return any(fresh(STAMPS[name]) for name in COVERED_BY[part])


def working_python() -> bool:
    """Tell whether .venv holds a Python that runs."""
    if not PYTHON.exists():
        return False
    return subprocess.run([str(PYTHON), "-c", ""], check=False).returncode == 0


def has_pip(python: str) -> bool:
    """Tell whether ``python`` has pip 22.3 or newer (which installs into others with --python)."""
    check = [
        python,
        "-c",
        "import pip, sys; sys.exit(tuple(map(int, pip.__version__.split('.')[:2])) < (22, 3))",
    ]
    return subprocess.run(check, capture_output=True, check=False).returncode == 0


def install(part: str) -> None:
    """Create .venv if it is missing or broken, then install ``part`` into it.

    Where the interpreter running this script has pip, the environment is
    made without one and that pip installs into it (``--python``): ensurepip
    and a pip in .venv cost a third of ``make serve``'s set-up. Only ``dev``
    puts pip into .venv, for ``.venv/bin/pip install ...`` by hand. No ``.pyc``
    files are written ahead (``--no-compile``): Python writes those of the
    modules it imports.
    """
    outer = has_pip(sys.executable)
    if not working_python():
        print(f"making {VENV.name} with {sys.executable}", flush=True)
        made = [sys.executable, "-m", "venv", "--clear", *(["--without-pip"] if outer else [])]
        subprocess.run([*made, str(VENV)], check=True)
    pip = (
        [sys.executable, "-m", "pip", "--python", str(PYTHON)]
        if outer
        else [str(PYTHON), "-m", "pip"]
    )
    wanted = ["-e", TARGETS[part], *(["pip"] if part == "dev" else [])]
    print(f"installing pochta{TARGETS[part][1:]} into {VENV.name}", flush=True)
    command = [*pip, "install", "--quiet", "--no-compile", *wanted]
    subprocess.run(command, check=True, cwd=ROOT)
    STAMPS[part].touch()


def main(part: str) -> int:
    """Install ``part`` unless it is there; wait for any other make doing the same."""
    if part not in TARGETS:
        print(f"scripts/venv.py: give run or dev, not {part!r}", file=sys.stderr)
        return 2
    with PROJECT.open("rb") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another make to finish setting up {VENV.name}...", flush=True)
            started = time.monotonic()
            fcntl.flock(lock, fcntl.LOCK_EX)
            print(f"  ...done after {time.monotonic() - started:.0f} s", flush=True)
        if ready(part):
            STAMPS[part].touch()  # so make sees this target done, when a larger one did it
            return 0
        try:
            install(part)
        except subprocess.CalledProcessError as error:
            print(f"scripts/venv.py: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
