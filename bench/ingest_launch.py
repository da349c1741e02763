"""Start the servers bench/ingest.py measures, each in its own process, and wait for 220.

``pochta serve`` is the real command; ``postfix-smtp-sink`` is Postfix's
compiled ``smtp-sink``; every other name is a server of bench/ingest_servers.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

__all__ = [
    "SINK", "free_port", "sink_command", "start_server", "wait_for_api", "wait_for_greeting"
]  # fmt: skip

SINK = Path("/usr/sbin/smtp-sink")


def start_server(
    name: str,
    port: int,
    folder: Path,
    *,
    source: Path | None = None,
    database: str = "",
    listen: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start server ``name`` on ``port`` with its files in ``folder``; return once it greets.

    ``source`` runs pochta from another tree's ``src`` folder (``PYTHONPATH``),
    e.g. a worktree of an older commit, to compare before and after in one run;
    ``database`` is another store for ``pochta serve`` (a ``postgresql://`` URL);
    ``listen`` its HTTP port (a free one when None).
    """
    env = {**os.environ, "PYTHONPATH": str(source)} if source is not None else None
    http = listen or free_port()
    if name.startswith("pochta serve"):
        store = database or str(folder / "mail.db")
        command = [str(Path(sys.executable).with_name("pochta")), "serve", store]
        command += ["--smtp", f"127.0.0.1:{port}", "--listen", f"127.0.0.1:{http}"]
        command += ["--max-message-size", "64M"]
    elif name == "postfix-smtp-sink":
        command = sink_command(port)
    else:
        script = Path(__file__).with_name("ingest_servers.py")
        command = [sys.executable, str(script), name, str(port), str(folder)]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    wait_for_greeting(port, process)
    if name.startswith("pochta serve"):
        wait_for_api(http)
    return process


def wait_for_api(port: int) -> None:
    """Return once pochta serve's API has loaded (its thread imports FastAPI after the 220).

    Otherwise that import (about a second of CPU) would run beside the first
    seconds of the load and count as ingest's CPU.
    """
    url = f"http://127.0.0.1:{port}/api/v1/info"
    with urllib.request.urlopen(url, timeout=60) as answer:  # held until the API is attached
        answer.read()


def wait_for_greeting(port: int, process: subprocess.Popen[bytes]) -> None:
    """Return once the server on ``port`` answers 220 (SystemExit after 30 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                if sock.recv(100).startswith(b"220"):
                    sock.sendall(b"QUIT\r\n")
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def free_port() -> int:
    """Return a port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sink_command(port: int) -> list[str]:
    """Return the command line of Postfix's discarding ``smtp-sink`` on ``port``."""
    if not SINK.exists():
        raise SystemExit(
            f"{SINK} is missing: install Postfix's tools (see bench/ingest_source.py)"
        )
    user = ["-u", "nobody"] if os.geteuid() == 0 else []  # as root it must drop privileges
    return [str(SINK), *user, f"127.0.0.1:{port}", "256"]
