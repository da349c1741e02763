"""Start-up order: once the HTTP port answers, SMTP answers too; the ready lines come after both.

A script that waits for port 8025 and then sends mail must not meet a
refused SMTP connection: the HTTP port is listened on last.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from pochta.testing.server import read_startup


def free_ports(count: int) -> list[int]:
    """Return ``count`` distinct TCP ports of 127.0.0.1 that were free a moment ago."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def wait_for_port(port: int, process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Return as soon as 127.0.0.1:``port`` takes a connection (trying every millisecond)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except ConnectionRefusedError:
            assert process.poll() is None, "pochta serve ended while starting"
            assert time.monotonic() < deadline, f"port {port} did not open in {timeout:g} s"
            time.sleep(0.001)


def test_smtp_answers_as_soon_as_the_http_port_does(tmp_path: Path) -> None:
    smtp_port, http_port = free_ports(2)
    process = subprocess.Popen(
        [sys.executable, "-m", "pochta", "serve", str(tmp_path / "mail.db"),
         "--smtp", f"127.0.0.1:{smtp_port}", "--listen", f"127.0.0.1:{http_port}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        wait_for_port(http_port, process)
        with socket.create_connection(("127.0.0.1", smtp_port), timeout=10) as smtp:
            greeting = smtp.makefile("rb").readline()
        startup = read_startup(process)
        with socket.create_connection(("127.0.0.1", http_port), timeout=10) as http:
            http.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            status = http.makefile("rb").readline()
    finally:
        process.kill()
        process.wait()

    assert greeting.startswith(b"220 ")
    assert (startup.smtp, startup.url) == (
        ("127.0.0.1", smtp_port),
        f"http://127.0.0.1:{http_port}",
    )
    assert status == b"HTTP/1.1 200 OK\r\n"
