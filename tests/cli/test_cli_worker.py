"""``pochta worker`` as a user runs it: a subprocess, its send log on stderr, its exit codes.

It delivers to a real aiosmtpd server through Django 6.1's ``MAILERS``
(given as JSON in the environment, as a deployment would).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from pochta.cli import main
from pochta.mail.queue import State, open_queue
from pochta.mail.submission import Submission
from tests.mail.smtp_peer import SMTPServer, start_server

if TYPE_CHECKING:
    from tests.conftest import ServeProcess


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SMTPServer]:
    """One aiosmtpd server for the module: it records, refuses nobody@ and is busy once."""
    controller, server = start_server()
    yield server
    controller.stop()


def worker(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``pochta worker`` with ``args`` and extra environment variables; wait for it."""
    return subprocess.run(
        [sys.executable, "-m", "pochta", "worker", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def mailers(server: SMTPServer) -> str:
    options = {"host": server.host, "port": server.port, "timeout": 10}
    return json.dumps(
        {"smtp": {"BACKEND": "pochta.mail.backends.smtp.EmailBackend", "OPTIONS": options}}
    )


def enqueue(path: Path, *rcpt_tos: str) -> None:
    content = b"Message-ID: <cli-%d@app>\r\nSubject: hi\r\n\r\nBody\r\n" % len(rcpt_tos)
    with open_queue(path) as queue:
        queue.enqueue(
            [Submission("app@example.com", list(rcpt_tos), content)],
            backend="smtp",
            max_attempts=8,
        )


def test_it_delivers_logs_each_recipient_and_says_what_it_did(
    tmp_path: Path, smtp_server: SMTPServer
) -> None:
    path = tmp_path / "queue.db"
    enqueue(path, "ann@example.com", "nobody@example.com", "busy@example.com")
    done = worker(
        "--queue", str(path), "--until-empty", "--retry-delay", "0", MAILERS=mailers(smtp_server)
    )
    lines = [re.sub(r"^\d{4}-\d\d-\d\d \S+ ", "", line) for line in done.stderr.splitlines()]
    assert (done.returncode, done.stdout) == (0, "")
    envelope = "<cli-3@app> from <app@example.com> to <{}@example.com> via smtp (queue)"
    assert [line.split(" in ")[0] for line in lines[:4]] == [
        "INFO pochta.mail: sent " + envelope.format("ann"),
        "WARNING pochta.mail: retry " + envelope.format("busy"),
        "ERROR pochta.mail: failed " + envelope.format("nobody"),
        "INFO pochta.mail: sent " + envelope.format("busy"),
    ]
    assert lines[4:] == [
        f"pochta worker: 0 sent, 1 failed, 1 retries; 0 pending, 1 failed in {path}"
    ]
    with open_queue(path) as queue:
        [failed] = queue.list([State.FAILED])
    assert [r.state for r in failed.recipients] == [State.SENT, State.FAILED, State.SENT]


def test_quiet_logs_only_retries_and_failures(tmp_path: Path, smtp_server: SMTPServer) -> None:
    path = tmp_path / "queue.db"
    enqueue(path, "ann@example.com", "nobody@example.com")
    done = worker("--queue", str(path), "--until-empty", "--quiet", MAILERS=mailers(smtp_server))
    assert done.returncode == 0
    assert [line.split(": ")[0].split()[-2:] for line in done.stderr.splitlines()] == [
        ["ERROR", "pochta.mail"],
        ["pochta", "worker"],
    ]


def test_until_empty_on_an_empty_queue_exits_at_once(tmp_path: Path) -> None:
    path = tmp_path / "new" / "queue.db"
    done = worker("--queue", str(path), "--until-empty")
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "",
        f"pochta worker: 0 sent, 0 failed, 0 retries; 0 pending, 0 failed in {path}\n",
    )
    assert path.is_file()  # made, so that the application's first message has a queue


def test_a_folder_or_a_foreign_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    done = worker("--queue", str(tmp_path), "--until-empty")
    assert done.returncode == 2
    assert done.stderr.endswith(
        f"Invalid value for '--queue': File '{tmp_path}' is a directory.\n"
    )
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    done = worker("--queue", str(blocked / "queue.db"), "--until-empty")
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"pochta worker: cannot make the folder of EMAIL_QUEUE_PATH '{blocked / 'queue.db'}'"
    )
    assert done.stderr.endswith("give a path you can write to\n")
    foreign = tmp_path / "notes.db"
    foreign.write_bytes(b"not a database, but someone's notes\n" * 100)
    done = worker("--queue", str(foreign), "--until-empty")
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"pochta worker: EMAIL_QUEUE_PATH '{foreign}' is not a pochta queue"
    )
    assert foreign.read_bytes() == b"not a database, but someone's notes\n" * 100


def test_bad_settings_and_flags_are_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "queue.db")
    done = worker("--queue", path, "--until-empty", EMAIL_QUEUE_LEASE="0")
    assert (done.returncode, done.stderr) == (
        1,
        "pochta worker: EMAIL_QUEUE_LEASE 0.0 is not a number of seconds of at least 0.1; "
        "give e.g. 300\n",
    )
    done = worker("--queue", path, "--concurrency", "0")
    assert (
        done.returncode == 2 and "'--concurrency': 0 is not in the range 1<=x<=64" in done.stderr
    )


def test_the_lease_flag_defaults_to_its_setting() -> None:
    shown = CliRunner().invoke(main, ["worker", "--help"], terminal_width=80).output
    assert "(default: EMAIL_QUEUE_LEASE, 300)" in " ".join(shown.split())


def test_docs_show_the_current_help() -> None:
    shown = CliRunner().invoke(main, ["worker", "--help"], prog_name="pochta", terminal_width=80)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")
    assert f"```text\n{shown.output}```" in docs


def test_two_workers_of_concurrency_2_send_four_at_once_and_none_twice(
    tmp_path: Path, launch_serve: Callable[..., ServeProcess]
) -> None:
    rules = tmp_path / "slow.json"
    rules.write_text('{"rules": [{"stage": "data", "delay": 1}]}')  # each send takes a second
    server = launch_serve("--chaos-rules", str(rules))
    path, count = tmp_path / "queue.db", 16
    with open_queue(path) as queue:
        queue.enqueue(
            [
                Submission(
                    "app@example.com",
                    [f"u{n}@example.com"],
                    b"Message-ID: <w-%d@app>\r\n\r\nx\r\n" % n,
                )
                for n in range(count)
            ],
            backend="smtp",
            max_attempts=8,
        )
    options = {"host": server.smtp[0], "port": server.smtp[1], "timeout": 10}
    env = {**os.environ, "MAILERS": json.dumps({"smtp": {"OPTIONS": options}})}
    command = [sys.executable, "-m", "pochta", "worker", "--queue", str(path), "--until-empty"]
    command += ["--concurrency", "2", "--poll", "0.05"]
    workers = [
        subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    most, deadline = 0, time.monotonic() + 60
    with open_queue(path) as queue:
        while queue.counts().unfinished and time.monotonic() < deadline:
            most = max(most, queue.counts().sending)
            time.sleep(0.02)
    logs = [w.communicate(timeout=60)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], logs
    # Two threads in each process had a message in hand at the same moment.
    assert most == 4
    sent = [int(re.findall(r"pochta worker: (\d+) sent", log)[0]) for log in logs]
    assert sum(sent) == count
    listed = server.get("/api/v1/messages", params={"limit": 100}).json()["messages"]
    assert sorted(m["MessageID"] for m in listed) == sorted(f"w-{n}@app" for n in range(count))
