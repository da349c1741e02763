"""Helpers for the Django tests: run the Task site's manage.py, forms with CSRF, pochta demo.

Example::

    output = manage("check", env=site_env(EMAIL_PORT="2525"))
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SITE = Path(__file__).resolve().parents[2] / "examples" / "tasksite"
# A bound, not a speed check: pochta demo migrates a fresh database before its first line,
# about 20 s on a busy 2-core machine.
STARTUP_TIMEOUT = 60.0
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def site_env(**values: str) -> dict[str, str]:
    """Return this process's environment without EMAIL_*/POCHTA_* variables, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "POCHTA_"))}
    return {**env, "PYTHONUNBUFFERED": "1", **values}


def manage(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> str:
    """Run ``manage.py ARGS``; return stdout+stderr, or fail the test showing them."""
    done = subprocess.run(
        [sys.executable, str(SITE / "manage.py"), *args],
        env=env if env is not None else site_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{output}"
    return output


def wait_for_port(port: int, process: subprocess.Popen[Any]) -> None:
    """Wait until 127.0.0.1:``port`` accepts connections; fail if ``process`` ends first."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"process exited with {process.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing answered on port {port}")


def stop(process: subprocess.Popen[Any], signum: int = signal.SIGTERM) -> int:
    """Signal ``process`` by its PID (SIGTERM) and return its exit code (killed after 20 s)."""
    if process.poll() is None:
        process.send_signal(signum)
    try:
        return process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """GET the form at ``path`` for its CSRF token, then POST ``data`` with it."""
    page = client.get(path)
    page.raise_for_status()
    token = _CSRF.search(page.text)
    assert token is not None, page.text
    return client.post(path, data={"csrfmiddlewaretoken": token[1], **data})


@dataclass
class Site:
    """A running Task site: its base URL and its runserver process."""

    url: str
    process: subprocess.Popen[str]


@dataclass
class Demo:
    """A running ``pochta demo``: the lines it printed and the addresses among them."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    site: str = ""
    inbox: str = ""
    smtp: tuple[str, int] = ("", 0)
    pending: queue.Queue[str | None] | None = None

    def rest(self) -> list[str]:
        """Return the lines printed after start-up, once the process has ended."""
        assert self.pending is not None and self.process.poll() is not None
        lines = []
        while (line := self.pending.get(timeout=10)) is not None:
            lines.append(line.rstrip("\n"))
        return lines


@dataclass
class Launched:
    """A started process, the lines it printed so far, and the queue of the next ones."""

    process: subprocess.Popen[str]
    pending: queue.Queue[str | None]
    lines: list[str] = field(default_factory=list)


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    with process.stdout:
        for line in process.stdout:
            lines.put(line)
    lines.put(None)


def launch(command: list[str], env: dict[str, str], until: str) -> Launched:
    """Start ``command`` (stderr into stdout) and wait for a line starting with ``until``.

    The process leads its own process group, as a command typed in a terminal does.

    Fails the test with everything printed if the process ends or stays silent.
    """
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        process_group=0,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process, lines), daemon=True).start()
    launched = Launched(process, lines)
    while not launched.lines or not launched.lines[-1].startswith(until):
        try:
            line = lines.get(timeout=STARTUP_TIMEOUT)
        except queue.Empty:
            line = None
        if line is None:
            stop(process)
            raise AssertionError(f"{command} did not start:\n" + "\n".join(launched.lines))
        launched.lines.append(line.rstrip("\n"))
    return launched


def start_demo(*args: str) -> Demo:
    """Start ``pochta demo --temp`` on free ports and wait for its closing line."""
    command = [sys.executable, "-m", "pochta", "demo", "--temp", "--smtp", "127.0.0.1:0"]
    command += ["--listen", "127.0.0.1:0", "--web", f"127.0.0.1:{free_port()}", *args]
    launched = launch(command, site_env(), "Ctrl-C stops both.")
    demo = Demo(launched.process, launched.lines, pending=launched.pending)
    for line in demo.lines:
        kind, _, rest = line.partition(" ")
        if kind == "Site":
            demo.site = rest.strip().rstrip("/")
        elif kind == "Inbox":
            demo.inbox = rest.strip().rstrip("/")
        elif kind == "SMTP":
            host, _, port = rest.strip().removeprefix("smtp://").rpartition(":")
            demo.smtp = (host, int(port))
    return demo
