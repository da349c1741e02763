"""A real ``pochta serve`` in a child process, on free ports, for tests and scripts.

::

    from pochta.testing import PochtaServer

    with PochtaServer.start() as server:          # --temp store, ports chosen by the system
        send_mail("Hi", "Body", "a@example.com", ["b@example.com"],
                  connection=get_connection(**server.connection_kwargs))
        assert server.mailbox.wait_for(subject="Hi").to == ["b@example.com"]

The pytest plugin starts one for the whole session (``pochta_server``).
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pochta.mail
from pochta.exceptions import ServeError
from pochta.mail import settings as mail_settings
from pochta.testing.mailbox import Mailbox, PrivateMailbox, private_rule

__all__ = ["STARTUP_TIMEOUT", "PochtaServer", "ServeStartup", "read_startup"]

#: Seconds :meth:`PochtaServer.start` waits for the server to print its addresses.
STARTUP_TIMEOUT = 30.0
_ADDRESS = re.compile(
    r"^(SMTP|POP3|Inbox) +(?P<scheme>smtp|pop3s?|https?)://(?P<host>\[[^\]]+\]|[^:]+)"
    r":(?P<port>\d+)(?P<path>/\S*)?$"
)


class PochtaServer:
    """A running ``pochta serve`` child process: its addresses, a client, app settings."""

    def __init__(
        self, process: subprocess.Popen[str], startup: ServeStartup, log: IO[str]
    ) -> None:
        """Wrap a started process (use :meth:`start`)."""
        self.process = process
        self.smtp_host, self.smtp_port = startup.smtp
        self.url = startup.url
        #: The store file (a temporary one unless ``database`` was given), or its URL.
        self.database = startup.database
        self.mailbox = Mailbox(startup.url)
        self._log = log

    def __repr__(self) -> str:
        return f"<PochtaServer smtp://{self.smtp_host}:{self.smtp_port} {self.url}>"

    @classmethod
    def start(cls, *args: str, database: str | os.PathLike[str] | None = None) -> PochtaServer:
        """Start ``pochta serve`` on free 127.0.0.1 ports and wait until it answers.

        The store is temporary (``--temp``) unless ``database`` names a file;
        ``args`` are more ``pochta serve`` options (``"--max", "100"``); mail
        to ``user+NAME@pochta.test`` goes to mailbox NAME (:meth:`private_mailbox`);
        ``POCHTA_*`` environment variables are not passed on. Raises
        :class:`~pochta.exceptions.ServeError` with the server's own error
        output if it does not start within :data:`STARTUP_TIMEOUT` seconds.
        """
        store = [os.fspath(database)] if database is not None else ["--temp"]
        command = [sys.executable, "-m", "pochta", "serve", *store]
        command += ["--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0", *args]
        # After the caller's own rules: user+NAME@pochta.test goes to private mailbox NAME.
        command += ["--mailbox-rule", private_rule()]
        log = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by stop())
        # POCHTA_* variables meant for a developer's own catcher (an auth file, a
        # database) must not change the one tests get; options come through ``args``.
        env = {k: v for k, v in os.environ.items() if not k.startswith("POCHTA_")}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        try:
            startup = read_startup(process)
        except ServeError as error:
            _end(process)
            log.seek(0)
            output = log.read().strip()
            log.close()
            raise ServeError(f"{error}: {output or 'no error output'}") from None
        return cls(process, startup, log)

    def private_mailbox(self, name: str = "") -> PrivateMailbox:
        """Return a mailbox of this server's that only mail to its ``address()`` reaches.

        ``name`` defaults to a new random one, so tests running at once (also
        under ``pytest -n``) never see each other's mail.
        """
        return PrivateMailbox(self.url, name or f"t-{uuid.uuid4().hex[:16]}")

    @property
    def email_settings(self) -> dict[str, Any]:
        """Return the settings that point an app (Django or pochta.mail) at this server.

        ::

            @override_settings(**pochta_server.email_settings)
        """
        return {
            "EMAIL_BACKEND": "pochta.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.smtp_host,
            "EMAIL_PORT": self.smtp_port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
        }

    @property
    def mailer(self) -> dict[str, Any]:
        """Return a ``MAILERS`` entry (Django 6.1, or pochta.mail) that sends to this server.

        ::

            @override_settings(MAILERS={"default": pochta_server.mailer})
        """
        return {
            "BACKEND": "pochta.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": self.smtp_host, "port": self.smtp_port},
        }

    @property
    def connection_kwargs(self) -> dict[str, Any]:
        """Return ``get_connection()`` keyword arguments for an smtp backend to this server."""
        return {
            "backend": "pochta.mail.backends.smtp.EmailBackend",
            "host": self.smtp_host,
            "port": self.smtp_port,
            "username": "",
            "password": "",
            "use_tls": False,
            "use_ssl": False,
        }

    def configure_pochta_mail(self, alias: str = "default") -> None:
        """Send this process's ``pochta.mail`` through this server (``pochta.mail.configure``).

        With ``MAILERS`` defined, the mailer ``alias`` becomes :attr:`mailer`
        (the others stay); without it, the ``EMAIL_*`` settings point here.
        """
        mailers = mail_settings.get_mailers()
        if mailers is None:
            pochta.mail.configure(**self.email_settings)
        else:
            pochta.mail.configure(MAILERS={**mailers, alias: self.mailer})

    def error_output(self) -> str:
        """Return what the server wrote to stderr so far (warnings, errors, --verbose logs)."""
        if self._log.closed:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def stop(self) -> int:
        """Stop the server (SIGTERM, then SIGKILL after 20 s); return its exit code."""
        self.mailbox.close()
        code = _end(self.process)
        self._log.close()
        return code

    def __enter__(self) -> PochtaServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _end(process: subprocess.Popen[str]) -> int:
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@dataclass(frozen=True, slots=True)
class ServeStartup:
    """What ``pochta serve`` printed once it answers: its SMTP and HTTP addresses, its store."""

    smtp: tuple[str, int]
    url: str
    database: Path | str
    """The store: its file, or its ``postgresql://`` URL (without a password)."""
    pop3: tuple[str, int] | None = None
    """The POP3 address, when ``pochta serve`` was started with ``--pop3``."""


def read_startup(process: subprocess.Popen[str]) -> ServeStartup:
    """Read the SMTP, Inbox and Store lines a started ``pochta serve`` prints.

    ``process`` must have ``stdout=subprocess.PIPE`` and ``text=True``; a
    thread keeps reading its output afterwards, so the child never blocks on a
    full pipe. Raises :class:`~pochta.exceptions.ServeError` if the process
    ends first or prints nothing for :data:`STARTUP_TIMEOUT` seconds.
    """
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    smtp: tuple[str, int] | None = None
    pop3: tuple[str, int] | None = None
    url = ""
    database: Path | str | None = None
    while smtp is None or not url or database is None:
        try:
            line = lines.get(timeout=STARTUP_TIMEOUT)
        except queue.Empty:
            raise ServeError(f"pochta serve printed no address in {STARTUP_TIMEOUT:g} s") from None
        if line is None:
            raise ServeError(f"pochta serve ended with code {process.wait()}")
        match = _ADDRESS.match(line.strip())
        if match and match[1] in ("SMTP", "POP3"):
            address = (match["host"].strip("[]"), int(match["port"]))
            smtp, pop3 = (address, pop3) if match[1] == "SMTP" else (smtp, address)
        elif match:
            root = (match["path"] or "").rstrip("/")
            url = f"{match['scheme']}://{match['host']}:{match['port']}{root}"
        elif line.startswith("Store "):
            where = line.removeprefix("Store ").strip()
            database = where if "://" in where else Path(where)
    return ServeStartup(smtp, url, database, pop3)


def _pump(stdout: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    # Keeps reading after start-up, so the child never blocks on a full pipe.
    if stdout is None:
        lines.put(None)
        return
    with stdout:
        for line in stdout:
            lines.put(line)
    lines.put(None)
