"""Connections and descriptors: hundreds of SMTP clients at once, and none left hanging.

Each ``pochta serve`` here runs under an open-file limit set for it (by
``setrlimit`` in the child before it starts), and 400 clients connect at
once, as the workers of a parallel test suite do. Every one must be answered
``220`` or ``421``; a connection waiting in the listen queue for a descriptor
would wait for minutes.
"""

from __future__ import annotations

import resource
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pochta.server.descriptor import (
    MOST_CONNECTIONS,
    default_max_connections,
    listen_backlog,
)
from pochta.testing.server import read_startup

CLIENTS = 400
#: Seconds any client may wait for its first line (the promise of docs/serve.md; a
#: connection left in the listen queue would wait for minutes).
ANSWER_WITHIN = 1.0


@contextmanager
def serve_under_limit(
    tmp_path: Path, soft: int, hard: int, *args: str
) -> Iterator[tuple[str, int]]:
    """Run ``pochta serve`` with RLIMIT_NOFILE (soft, hard); yield its SMTP address."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    command = [sys.executable, "-m", "pochta", "serve", str(tmp_path / "mail.db")]
    command += ["--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0", *args]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=limit
    )
    try:
        yield read_startup(process).smtp
    finally:
        process.kill()
        process.wait()


def first_lines(address: tuple[str, int], count: int) -> list[tuple[bytes, float]]:
    """Connect ``count`` clients at once; return each one's first line and its wait in seconds."""
    clients: list[socket.socket] = []
    started: dict[socket.socket, float] = {}
    answers: dict[socket.socket, tuple[bytes, float]] = {}
    selector = selectors.DefaultSelector()
    try:
        for _ in range(count):
            client = socket.create_connection(address, timeout=10)
            client.setblocking(False)
            clients.append(client)
            started[client] = time.monotonic()
            selector.register(client, selectors.EVENT_READ)
        deadline = time.monotonic() + ANSWER_WITHIN + 5
        while len(answers) < count and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                ready = key.fileobj
                assert isinstance(ready, socket.socket)
                answers[ready] = (ready.recv(200), time.monotonic() - started[ready])
                selector.unregister(ready)
        return [answers.get(client, (b"", float("inf"))) for client in clients]
    finally:
        selector.close()
        for client in clients:
            client.close()


def codes(answers: list[tuple[bytes, float]]) -> dict[str, int]:
    """Count the first lines by reply code ("" for a client that got nothing)."""
    counted: dict[str, int] = {}
    for line, _ in answers:
        counted[line[:3].decode()] = counted.get(line[:3].decode(), 0) + 1
    return counted


def test_the_default_cap_follows_the_descriptor_limit() -> None:
    assert [default_max_connections(n) for n in (256, 1024, 4096, 10**6)] == [
        192,
        768,
        3072,
        MOST_CONNECTIONS,
    ]
    assert [listen_backlog(n) for n in (10, 3072, 10**6)] == [4096, 6144, 65_535]


def test_hundreds_of_clients_at_once_are_all_greeted(tmp_path: Path) -> None:
    # A soft limit of 256 is what some systems start with; pochta raises it to the hard one.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    assert hard >= 1024, f"this test needs a hard open-file limit of 1024 or more, not {hard}"

    with serve_under_limit(tmp_path, 256, hard) as address:
        answers = first_lines(address, CLIENTS)

    assert codes(answers) == {"220": CLIENTS}
    assert max(wait for _, wait in answers) < ANSWER_WITHIN


def test_out_of_descriptors_every_client_still_gets_220_or_421(tmp_path: Path) -> None:
    # A cap far above what 256 descriptors allow: accept() itself runs out.
    with serve_under_limit(tmp_path, 256, 256, "--smtp-max-connections", "5000") as address:
        answers = first_lines(address, CLIENTS)

    counted = codes(answers)
    assert set(counted) == {"220", "421"}, counted
    assert counted["220"] > 100 and counted["421"] > 100, counted
    assert max(wait for _, wait in answers) < ANSWER_WITHIN
    assert {line for line, _ in answers if line.startswith(b"421")} == {
        b"421 4.7.0 Too many connections, try again later\r\n"
    }


def test_under_a_low_limit_the_default_cap_answers_421_in_time(tmp_path: Path) -> None:
    with serve_under_limit(tmp_path, 256, 256) as address:
        answers = first_lines(address, CLIENTS)

    assert codes(answers) == {"220": 192, "421": CLIENTS - 192}
    assert max(wait for _, wait in answers) < ANSWER_WITHIN
