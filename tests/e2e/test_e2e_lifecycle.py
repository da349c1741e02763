"""``pochta serve`` starting, refusing to start, stopping, and surviving SIGKILL."""

from __future__ import annotations

import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conftest import ServeProcess


def free_port() -> int:
    """Return a port nobody listens on (a race is possible, but harmless here)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Tell whether ``port`` on 127.0.0.1 can be listened on now."""
    with socket.socket() as probe:
        # as a restarted server would: a closed connection may linger in TIME_WAIT
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port some other program is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def run_serve(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``pochta serve ARGS`` to its end (it is expected to refuse to start)."""
    command = [sys.executable, "-m", "pochta", "serve", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def send(server: ServeProcess, subject: str) -> bytes:
    """Send one message with ``subject`` and return its bytes."""
    raw = f"From: a@example.com\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n".encode()
    with smtplib.SMTP(*server.smtp) as client:
        client.sendmail("a@example.com", ["b@example.com"], raw)
    return raw


def test_http_port_in_use_is_one_line_and_nothing_listens(tmp_path: Path, busy_port: int) -> None:
    smtp_port = free_port()
    result = run_serve(
        tmp_path / "mail.db",
        "--smtp",
        f"127.0.0.1:{smtp_port}",
        "--listen",
        f"127.0.0.1:{busy_port}",
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"pochta serve: cannot listen on 127.0.0.1:{busy_port} for HTTP: Address already in use; "
        "stop the program using it, or give --listen with another port (0 picks a free one)"
    ]
    assert port_is_free(smtp_port)


def test_smtp_port_in_use_is_one_line_and_nothing_listens(tmp_path: Path, busy_port: int) -> None:
    http_port = free_port()
    result = run_serve(
        tmp_path / "mail.db",
        "--smtp",
        f"127.0.0.1:{busy_port}",
        "--listen",
        f"127.0.0.1:{http_port}",
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"pochta serve: cannot listen on 127.0.0.1:{busy_port} for SMTP: Address already in use; "
        "stop the program using it, or give --smtp with another port (0 picks a free one)"
    ]
    assert port_is_free(http_port)


def a_folder(folder: Path) -> Path:
    """Return a database path that is a folder."""
    return folder


def under_a_file(folder: Path) -> Path:
    """Return a database path whose parent is a file."""
    (folder / "file").write_text("x")
    return folder / "file" / "mail.db"


def junk_file(folder: Path) -> Path:
    """Return a file that is not SQLite at all."""
    (folder / "notes.db").write_bytes(b"\x00junk" * 500)
    return folder / "notes.db"


def foreign_sqlite(folder: Path) -> Path:
    """Return another program's SQLite database."""
    connection = sqlite3.connect(folder / "other.db")
    with connection:
        connection.execute("CREATE TABLE accounts (name TEXT)")
    connection.close()
    return folder / "other.db"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (a_folder, "is a folder; give the store a file name"),
        (under_a_file, "cannot create the folder"),
        (junk_file, "is not a pochta store"),
        (foreign_sqlite, "SQLite database of another program"),
    ],
)
def test_unusable_database_is_one_line(
    tmp_path: Path, make: Callable[[Path], Path], expected: str
) -> None:
    database = make(tmp_path)
    result = run_serve("--database", database, "--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0")
    assert (result.returncode, result.stdout) == (1, "")
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("pochta serve: ")
    assert expected in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--max", "-1"], "--max '-1' is not a count"),
        (["--max-age", "3x"], "--max-age '3x' is not a duration"),
        (["--max-message-size", "lots"], "--max-message-size 'lots' is not a size"),
        (["--smtp", "nowhere"], "--smtp 'nowhere' is not HOST:PORT"),
        (["--smtp-tls-cert", "cert.pem"], "--smtp-tls-cert and --smtp-tls-key go together"),
        (["--temp", "mail.db"], "--temp and DATABASE contradict each other"),
    ],
)
def test_bad_setting_is_a_usage_error(args: list[str], expected: str) -> None:
    result = run_serve(*args)
    assert (result.returncode, result.stdout) == (2, "")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_and_keeps_the_mail(
    launch_serve: Callable[..., ServeProcess], tmp_path: Path, signum: int
) -> None:
    server = launch_serve()
    raw = send(server, "kept")
    assert server.stop(signum) == 0
    assert server.stderr() == ""
    again = launch_serve()
    listed = again.get("/api/v1/messages").json()["messages"]
    assert [m["Subject"] for m in listed] == ["kept"]
    assert again.get("/api/v1/message/latest/raw").content == raw


def test_transaction_in_flight_finishes_on_sigterm(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    server = launch_serve()
    client = smtplib.SMTP(*server.smtp)
    try:
        client.ehlo()
        assert client.mail("a@example.com")[0] == 250
        assert client.rcpt("b@example.com")[0] == 250
        assert client.docmd("DATA")[0] == 354
        client.send(b"Subject: in flight\r\n\r\nfirst half\r\n")
        server.process.send_signal(signal.SIGTERM)
        client.send(b"second half\r\n.\r\n")
        assert client.getreply()[0] == 250
    finally:
        client.close()
    assert server.stop() == 0
    again = launch_serve()
    assert again.get("/api/v1/message/latest/raw").content == (
        b"Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n"
    )


def test_temp_store_is_deleted_on_exit(launch_serve: Callable[..., ServeProcess]) -> None:
    server = launch_serve("--temp", database=None)
    database = server.database
    send(server, "temporary")
    assert isinstance(database, Path) and database.exists()
    assert server.stop() == 0
    assert not database.exists()


class Senders:
    """Threads sending numbered messages, one connection each; ``sent``: those answered 250."""

    def __init__(self, server: ServeProcess, name: str, *, connections: int, count: int) -> None:
        self.sent: dict[str, bytes] = {}
        self.errors: list[BaseException] = []
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._send, args=(server, f"{name} {n}", count))
            for n in range(connections)
        ]
        for thread in self._threads:
            thread.start()

    def _send(self, server: ServeProcess, name: str, count: int) -> None:
        try:
            with smtplib.SMTP(*server.smtp) as client:
                for number in range(count):
                    subject = f"{name}-{number}"
                    raw = f"Subject: {subject}\r\n\r\n{subject} {'x' * number}\r\n".encode()
                    client.sendmail("a@example.com", ["b@example.com"], raw)
                    with self._changed:
                        self.sent[subject] = raw
                        self._changed.notify_all()
        except (smtplib.SMTPException, OSError) as error:
            self.errors.append(error)

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.sent) >= count, timeout)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()


def test_sigkill_loses_nothing_acknowledged(launch_serve: Callable[..., ServeProcess]) -> None:
    server = launch_serve()
    senders = Senders(server, "durable", connections=5, count=40)
    senders.join()
    assert senders.errors == []
    sent = senders.sent
    server.kill()

    again = launch_serve()
    listed = again.get("/api/v1/messages", params={"limit": 1000}).json()["messages"]
    assert sorted(m["Subject"] for m in listed) == sorted(sent)
    for message in listed:
        raw = again.get(f"/api/v1/message/{message['ID']}/raw").content
        assert raw == sent[message["Subject"]]


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that still run (its ingest process)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_sigkill_during_a_flood_loses_nothing_acknowledged_and_leaves_no_process(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    # Four connections at once: messages that come together are committed by the
    # ingest process (docs/store.md); killing the server must not lose one of them.
    server = launch_serve()
    senders = Senders(server, "flood", connections=4, count=200)
    assert senders.wait_for(150, 60)
    helpers = children(server.process.pid)
    assert helpers, "pochta serve started no ingest process under four connections"
    server.kill()
    senders.join()  # each one ended when the server went away
    sent = senders.sent
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(running(pid) for pid in helpers)

    again = launch_serve()
    listed = again.get("/api/v1/messages", params={"limit": 1000}).json()["messages"]
    kept = {m["Subject"]: m["ID"] for m in listed}
    assert set(sent) <= set(kept)
    for subject, raw in sent.items():
        assert again.get(f"/api/v1/message/{kept[subject]}/raw").content == raw
