"""A real SpamAssassin ``spamd`` on a free loopback port, started and stopped by the tests.

Debian's ``spamd`` with the rules its package ships (``-L``: local tests only,
no network; ``-x``: no per-user files). As root it runs as ``nobody``. Under
``CI=true`` a missing spamd fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SPAMD = shutil.which("spamd") or "/usr/sbin/spamd"
STARTUP = 90.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"PING SPAMC/1.5\r\n\r\n")
            return b"PONG" in sock.recv(100)
    except OSError:
        return False


@contextmanager
def running_spamd() -> Iterator[int]:
    """Start spamd on a free port, wait until it answers PING, yield the port; stop it."""
    if not Path(SPAMD).exists():
        message = (
            "spamd is missing: apt-get install spamassassin spamd (scripts/install-check-programs)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="checks-spamd-") as home:
        command = [SPAMD, f"--listen=127.0.0.1:{port}", "--syslog=stderr", "-x", "-L"]
        command += ["--min-children=1", "--max-children=2", f"--pidfile={home}/spamd.pid"]
        if os.geteuid() == 0:
            shutil.chown(home, "nobody")
            command = ["runuser", "-u", "nobody", "--", "env", f"HOME={home}", *command]
        log = open(Path(home) / "spamd.log", "wb")  # noqa: SIM115 (closed below)
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HOME": home}
        )
        try:
            deadline = time.monotonic() + STARTUP
            while not _pong(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    text = (Path(home) / "spamd.log").read_text(errors="replace")
                    raise RuntimeError(f"spamd did not start on port {port}: {text[-2000:]}")
                time.sleep(0.2)
            yield port
        finally:
            _stop(process, Path(home) / "spamd.pid")
            log.close()


def _stop(process: subprocess.Popen[bytes], pidfile: Path) -> None:
    # runuser waits for spamd; spamd's parent ends its children when told to stop.
    try:
        os.kill(int(pidfile.read_text().strip()), 15)
    except (OSError, ValueError):
        process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
