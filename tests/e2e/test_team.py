"""Several ``pochta serve`` on one PostgreSQL database behave as one catcher.

Each test starts real catchers (subprocesses) on a database of the session's
throwaway PostgreSQL server and talks to them over SMTP, HTTP and WebSocket.
"""

from __future__ import annotations

import json
import smtplib
import subprocess
import sys
import threading
from collections.abc import Callable

import httpx
import psycopg
from websockets.sync.client import ClientConnection, connect

from pochta.store.postgres.migration import migrations
from pochta.testing.server import read_startup
from tests.conftest import ServeProcess

Launch = Callable[..., ServeProcess]


def send(catcher: ServeProcess, subject: str, to: str = "team@example.test") -> str:
    """Send one message over SMTP and return the id of its 250 reply."""
    raw = f"From: app@example.test\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nbody\r\n"
    with smtplib.SMTP(*catcher.smtp) as client:
        client.ehlo()
        client.mail("app@example.test")
        client.rcpt(to)
        code, reply = client.data(raw.encode())
    assert code == 250, reply
    return reply.decode().rsplit(" ", 1)[-1].strip("[]")


def events_of(catcher: ServeProcess) -> ClientConnection:
    host, port = catcher.url.removeprefix("http://").split(":")
    return connect(f"ws://{host}:{port}/api/events", open_timeout=30)


def next_frame(socket: ClientConnection, kind: str) -> dict[str, object]:
    """Return the Data of the next frame of ``kind`` (others are skipped)."""
    while True:
        frame = json.loads(socket.recv(timeout=10))
        if frame["Type"] == kind:
            data: dict[str, object] = frame["Data"]
            return data


def test_a_message_taken_by_one_is_live_in_the_other(
    launch_serve: Launch, postgres_url: str
) -> None:
    one, two = launch_serve(database=postgres_url), launch_serve(database=postgres_url)
    with events_of(two) as socket:
        send(one, "Welcome aboard")
        assert next_frame(socket, "new")["Subject"] == "Welcome aboard"
    listed = two.get("/api/v1/messages").json()
    assert (listed["total"], listed["messages"][0]["Subject"]) == (1, "Welcome aboard")
    assert two.get("/api/v1/search", params={"query": "aboard"}).json()["messages_count"] == 1


def test_read_marks_and_deletes_are_seen_by_all(launch_serve: Launch, postgres_url: str) -> None:
    one, two = launch_serve(database=postgres_url), launch_serve(database=postgres_url)
    id = send(one, "Read me")
    with events_of(one) as socket:
        two.request("PUT", "/api/v1/messages", json={"IDs": [id], "Read": True})
        assert next_frame(socket, "update") == {"ID": id, "Read": True, "Tags": []}
        assert one.get("/api/v1/messages").json()["messages"][0]["Read"] is True
        two.request("DELETE", "/api/v1/messages", json={"IDs": [id]})
        assert next_frame(socket, "delete") == {"ID": id}
    assert one.get("/api/v1/messages").json()["total"] == 0


def test_a_wait_on_one_is_woken_by_mail_to_the_other(
    launch_serve: Launch, postgres_url: str
) -> None:
    one, two = launch_serve(database=postgres_url), launch_serve(database=postgres_url)
    answers: list[httpx.Response] = []
    params = {"query": "subject:invoice", "timeout": "20"}
    waiting = threading.Thread(
        target=lambda: answers.append(
            httpx.get(f"{two.url}/api/v1/wait", params=params, timeout=30)
        )
    )
    waiting.start()
    two.get("/readyz")  # the wait is listening by now, or finds the message when it looks
    id = send(one, "Invoice 42")
    waiting.join(timeout=30)
    assert [(a.status_code, a.json()["ID"]) for a in answers] == [(200, id)]


def test_catchers_starting_together_on_an_empty_database_share_one_schema(
    postgres_url: str,
) -> None:
    command = [sys.executable, "-m", "pochta", "serve", postgres_url]
    command += ["--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0"]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for _ in range(3)
    ]
    try:
        startups = [read_startup(process) for process in processes]
        for startup in startups:
            assert httpx.get(f"{startup.url}/readyz", timeout=10).text == "ok"
    finally:
        for process in processes:
            process.kill()
            process.wait()

    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute("SELECT version FROM pochta.schema_version ORDER BY version")
        assert [row[0] for row in rows] == [step.version for step in migrations()]


def test_a_mailbox_is_one_across_catchers(launch_serve: Launch, postgres_url: str) -> None:
    rule = ("--mailbox-rule", "ci-*@example.test=ci")
    one, two = (
        launch_serve(*rule, database=postgres_url),
        launch_serve(*rule, database=postgres_url),
    )
    host = two.url.removeprefix("http://")
    answers: list[httpx.Response] = []
    params = {"query": "subject:build", "timeout": "20"}
    waiting = threading.Thread(
        target=lambda: answers.append(
            httpx.get(f"{two.url}/mailbox/ci/api/v1/wait", params=params, timeout=30)
        )
    )
    with (
        connect(f"ws://{host}/mailbox/ci/api/events", open_timeout=30) as ci_events,
        connect(f"ws://{host}/api/events", open_timeout=30) as default_events,
    ):
        waiting.start()
        two.get("/readyz")
        send(one, "Build for everyone", to="team@example.test")  # the default mailbox's
        id = send(one, "Build 7", to="ci-7@example.test")
        send(one, "Build for all", to="team@example.test")
        # Each mailbox's stream on the other catcher hears of its own mail only.
        assert next_frame(ci_events, "new")["Subject"] == "Build 7"
        assert [next_frame(default_events, "new")["Subject"] for _ in range(2)] == [
            "Build for everyone",
            "Build for all",
        ]
        waiting.join(timeout=30)
        assert [(a.status_code, a.json()["ID"]) for a in answers] == [(200, id)]
        # A delete of the whole mailbox on the other catcher empties that mailbox only.
        two.request("DELETE", "/mailbox/ci/api/v1/messages")
        next_frame(ci_events, "truncate")  # (its Data is null)
    subjects = {
        base: [m["Subject"] for m in one.get(f"{base}api/v1/messages").json()["messages"]]
        for base in ("/", "/mailbox/ci/")
    }
    assert subjects == {"/": ["Build for all", "Build for everyone"], "/mailbox/ci/": []}
    assert one.get("/api/v1/mailboxes").json() == [
        {"Name": "default", "Total": 2, "Unread": 2, "URL": "/"},
        {"Name": "ci", "Total": 0, "Unread": 0, "URL": "/mailbox/ci/"},
    ]


def test_pochta_database_from_the_environment_and_no_password_shown(
    launch_serve: Launch, postgres_url: str
) -> None:
    secret = "s3cret-w0rd"
    url = postgres_url.replace("postgres@", f"postgres:{secret}@", 1)
    assert secret in url  # the cluster trusts loopback: libpq sends it, nobody checks it
    catcher = launch_serve(database=None, env={"POCHTA_DATABASE": url})
    send(catcher, "From the environment")
    info = catcher.get("/api/v1/info").json()
    assert (str(catcher.database), info["Database"]) == (postgres_url, postgres_url)
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute("SELECT subject FROM pochta.message").fetchall()
    assert rows == [("From the environment",)]
    catcher.stop()
    assert secret not in catcher.stderr()
    missing = url.rsplit("/", 1)[0] + "/no_such_database"
    failed = subprocess.run(
        [sys.executable, "-m", "pochta", "ls", "--database", missing],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode != 0
    assert "no_such_database" in failed.stderr and secret not in failed.stderr + failed.stdout
