"""``pochta demo``: the catcher and the seeds' Task site, running together.

Nothing here imports Django: the site runs in child processes started with
this interpreter, so the ``pochta demo`` command can tell a user without
Django what to install before anything starts.

The order is: ``pochta serve`` (its printed addresses are read back, so port
0 works), ``manage.py migrate``, ``manage.py demo_user``, then ``manage.py
runserver --noreload`` with ``EMAIL_HOST``/``EMAIL_PORT`` pointing at the
catcher. SIGINT or SIGTERM stops both children by their PIDs. The children
run in their own process groups, so a Ctrl-C in the terminal reaches only
the demo, which then stops them in order (site first, then the catcher).

Example::

    code = run_demo(DemoOptions(site=find_site(None)), echo=print)
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from pochta.config import HostPort, Settings
from pochta.exceptions import ConfigurationError, ServeError

__all__ = ["DEMO_USER", "WEB_DEFAULT", "DemoOptions", "DemoUser", "find_site", "run_demo"]

STARTUP_TIMEOUT = 30.0
"""Seconds each child gets to answer before the demo gives up."""

STOP_TIMEOUT = 15.0
"""Seconds each child gets to exit after SIGTERM before it is killed."""


@dataclass(frozen=True, slots=True)
class DemoUser:
    """The account ``pochta demo`` creates (or resets) on the Task site."""

    username: str
    email: str
    password: str


_SERVE_DEFAULTS = Settings()

#: Where ``pochta demo`` runs the Task site (``manage.py runserver``'s own default).
WEB_DEFAULT = HostPort("127.0.0.1", 8000)

#: The demo login, printed by ``pochta demo``.
DEMO_USER = DemoUser("demo", "demo@task.local", "demo-password-1")


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What ``pochta demo`` runs: where the site is, the three addresses, where data goes."""

    site: Path
    smtp: HostPort = _SERVE_DEFAULTS.smtp
    listen: HostPort = _SERVE_DEFAULTS.listen
    web: HostPort = WEB_DEFAULT
    temp: bool = False
    user: DemoUser = DEMO_USER


def find_site(given: Path | None) -> Path:
    """Return the Task site's folder: ``given``, else ``examples/tasksite`` of this checkout.

    Raises :class:`ConfigurationError` naming the folder when it holds no ``manage.py``.
    """
    candidates = (
        [given]
        if given is not None
        else [
            Path(__file__).resolve().parents[3] / "examples" / "tasksite",
            Path.cwd() / "examples" / "tasksite",
        ]
    )
    for folder in candidates:
        if (folder / "manage.py").is_file():
            return folder.resolve()
    raise ConfigurationError(
        f"no Task site (manage.py) in {candidates[0]}; give --site with the folder "
        f"examples/tasksite of a pochta checkout"
    )


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    with process.stdout:
        for line in process.stdout:
            lines.put(line)
    lines.put(None)


def _address(line: str) -> HostPort:
    """Read the address of a ``SMTP  smtp://HOST:PORT`` or ``Inbox http://...`` line."""
    host, _, port = line.split("://", 1)[1].strip().rpartition(":")
    return HostPort(host.strip("[]"), int(port))


def _start_catcher(
    options: DemoOptions, database: Path
) -> tuple[subprocess.Popen[str], HostPort, HostPort]:
    """Start ``pochta serve``; return it with the SMTP and HTTP addresses it printed."""
    command = [sys.executable, "-m", "pochta", "serve", str(database)]
    command += ["--smtp", str(options.smtp), "--listen", str(options.listen)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, process_group=0)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process, lines), daemon=True).start()
    smtp: HostPort | None = None
    while True:
        try:
            line = lines.get(timeout=STARTUP_TIMEOUT)
        except queue.Empty:
            line = None
        if line is None:
            _stop(process)
            raise ServeError("pochta serve did not start (see its message above)")
        if line.startswith("SMTP "):
            smtp = _address(line)
        if line.startswith("Inbox ") and smtp is not None:
            return process, smtp, _address(line)


def _manage(site: Path, env: dict[str, str], *args: str) -> None:
    """Run ``manage.py ARGS`` to the end; raise :class:`ServeError` with its output if it fails."""
    done = subprocess.run(
        [sys.executable, str(site / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        process_group=0,
    )
    if done.returncode != 0:
        raise ServeError(f"manage.py {args[0]} failed:\n{done.stdout}{done.stderr}".rstrip())


def _wait_for_port(process: subprocess.Popen[str], address: HostPort) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServeError(f"manage.py runserver exited with code {process.returncode}")
        with contextlib.suppress(OSError):
            socket.create_connection((address.host, address.port), 0.2).close()
            return
        time.sleep(0.1)
    raise ServeError(f"manage.py runserver did not answer on {address} in time")


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM ``process`` (by its PID), wait, and kill it if it will not go."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def _data_folder(options: DemoOptions) -> Iterator[tuple[Path, dict[str, str]]]:
    """Yield the mail store's path and the site's extra environment (temp or in the site)."""
    if not options.temp:
        yield options.site / ".pochta" / "mail.db", {}
        return
    with tempfile.TemporaryDirectory(prefix="pochta-demo-") as folder:
        yield Path(folder) / "mail.db", {"TASKSITE_DATABASE": str(Path(folder) / "db.sqlite3")}


def _site_env(extra: dict[str, str], smtp: HostPort) -> dict[str, str]:
    return {
        **os.environ,
        **extra,
        "EMAIL_BACKEND": "smtp",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "0",
        "PYTHONUNBUFFERED": "1",
    }


def _start_site(options: DemoOptions, env: dict[str, str], web: HostPort) -> subprocess.Popen[str]:
    """Migrate, make the demo user, then start ``runserver`` and wait until it answers."""
    user = options.user
    _manage(options.site, env, "migrate", "--noinput")
    _manage(options.site, env, "demo_user", "--username", user.username,
            "--email", user.email, "--password", user.password)  # fmt: skip
    command = [sys.executable, str(options.site / "manage.py"), "runserver", "--noreload"]
    return subprocess.Popen([*command, str(web)], env=env, text=True, process_group=0)


def _announce(echo: Callable[[str], None], web: HostPort, inbox: HostPort, smtp: HostPort,
              user: DemoUser) -> None:  # fmt: skip
    echo(f"Site  http://{web}/")
    echo(f"Inbox http://{inbox}/")
    echo(f"SMTP  smtp://{smtp}")
    echo(f"Login {user.username} / {user.password} ({user.email})")
    echo(f"Try   http://{web}/accounts/password_reset/ with {user.email}")
    echo("Ctrl-C stops both.")


def run_demo(options: DemoOptions, *, echo: Callable[[str], None]) -> int:
    """Run the catcher and the Task site until SIGINT or SIGTERM; return the exit code (0).

    Raises :class:`ServeError` when a part cannot start or a child exits on
    its own; whatever was started is stopped first.
    """
    web = options.web
    if web.port == 0:
        web = HostPort(web.host, _free_port(web.host))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    children: list[subprocess.Popen[str]] = []
    try:
        with _data_folder(options) as (database, extra):
            catcher, smtp, inbox = _start_catcher(options, database)
            children.append(catcher)
            if stop.is_set():  # Ctrl-C while the catcher was starting
                return 0
            children.append(_start_site(options, _site_env(extra, smtp), web))
            _wait_for_port(children[-1], web)
            _announce(echo, web, inbox, smtp, options.user)
            while not stop.wait(0.2):
                for child, name in zip(children, ("pochta serve", "runserver"), strict=True):
                    if child.poll() is not None:
                        raise ServeError(f"{name} exited with code {child.returncode}")
            return 0
    finally:
        for child in reversed(children):
            _stop(child)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
