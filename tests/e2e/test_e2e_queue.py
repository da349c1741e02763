"""The queue end to end: 200 messages, three recipients each, through a catcher that fails.

``pochta serve`` runs with chaos rules: 550 for ``fail@…``, 451 for 30% of
the other recipients, the connection closed mid-DATA for 5% of messages.
The messages go through the queue backend; ``pochta worker --until-empty``
(a real subprocess) delivers them. A recipient refused with a 451 while
the others were accepted is retried alone, with the same bytes. Then the
same with a worker killed by SIGKILL halfway and a second one finishing.

Every recipient is a Bcc (no ``To`` header names them): the catcher lists
the envelope recipients that no header names under ``Bcc``, as Mailpit
does, so each stored copy's ``Bcc`` in the API is exactly the recipients
that copy was delivered to.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pochta.mail import EmailMessage
from pochta.mail.backends.queue import EmailBackend as QueueBackend
from pochta.mail.queue import State, open_queue

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

MESSAGES = 200
FAIL = "fail@example.com"

RULES = {
    "seed": 13,
    "rules": [
        {"recipient": "fail@*", "reply": "550 5.1.1 No such user (chaos)"},
        {"stage": "rcpt", "probability": 30, "reply": "451 4.7.1 Try again later (chaos)"},
        {"stage": "data", "probability": 5, "close": True},
    ],
}
WORKER_TIMEOUT = 120


@pytest.fixture
def chaotic_serve(launch_serve: Callable[..., ServeProcess], tmp_path: Path) -> ServeProcess:
    """A ``pochta serve`` with the chaos rules above."""
    rules = tmp_path / "chaos.json"
    rules.write_text(json.dumps(RULES))
    return launch_serve("--chaos-rules", str(rules))


def recipients(number: int) -> list[str]:
    """Three recipients; every tenth message's third is the one that always gets 550."""
    third = FAIL if number % 10 == 0 else f"user{number}c@example.com"
    return [f"user{number}a@example.com", f"user{number}b@example.com", third]


def queue_messages(path: Path) -> dict[str, list[str]]:
    """Queue MESSAGES messages through the queue backend; return Message-ID -> recipients."""
    backend = QueueBackend(
        path=path,
        delivery_backend="pochta.mail.backends.smtp.EmailBackend",
        max_attempts=30,
    )
    with backend:
        for number in range(MESSAGES):
            message = EmailMessage(
                f"queued {number}", "body", "a@example.com", bcc=recipients(number)
            )
            assert backend.send_messages([message]) == 1
    with open_queue(path) as queue:
        queued = {m.message_id: list(m.rcpt_tos) for m in queue.list([State.PENDING], limit=1000)}
    assert len(queued) == MESSAGES
    return queued


def wanted_pairs(queued: dict[str, list[str]]) -> Counter[tuple[str, str]]:
    """Every (Message-ID, recipient) that must arrive, once each: all but ``fail@``."""
    return Counter((mid, to) for mid, rcpt_tos in queued.items() for to in rcpt_tos if to != FAIL)


def start_worker(path: Path, server: ServeProcess, log: Path) -> subprocess.Popen[bytes]:
    """Start ``pochta worker`` on the queue at ``path``, delivering to ``server``."""
    env = {**os.environ, "EMAIL_HOST": server.smtp[0], "EMAIL_PORT": str(server.smtp[1])}
    command = [sys.executable, "-m", "pochta", "worker", "--queue", str(path)]
    command += ["--until-empty", "--concurrency", "4", "--retry-delay", "0.02", "--poll", "0.05"]
    with log.open("ab") as stderr:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def caught_copies(server: ServeProcess) -> list[tuple[str, list[str]]]:
    """Return each stored copy as (Message-ID, the recipients it was delivered to)."""
    listed = server.get("/api/v1/messages", params={"limit": 5000}).json()["messages"]
    return [(f"<{m['MessageID']}>", [a["Address"] for a in m["Bcc"]]) for m in listed]


def caught_pairs(copies: list[tuple[str, list[str]]]) -> Counter[tuple[str, str]]:
    """Count the (Message-ID, recipient) pairs the catcher holds."""
    return Counter((mid, to) for mid, rcpt_tos in copies for to in rcpt_tos)


def retries_logged(log: str) -> Counter[str]:
    """Count the WARNING retry lines of the send log by Message-ID."""
    return Counter(re.findall(r"WARNING pochta\.mail: retry (<[^>]+>)", log))


def test_every_recipient_gets_each_message_once_through_chaos(
    chaotic_serve: ServeProcess, tmp_path: Path
) -> None:
    path, log = tmp_path / "queue.db", tmp_path / "worker.log"
    queued = queue_messages(path)
    worker = start_worker(path, chaotic_serve, log)
    assert worker.wait(WORKER_TIMEOUT) == 0, log.read_text()
    copies = caught_copies(chaotic_serve)
    assert caught_pairs(copies) == wanted_pairs(queued)
    # 451s for single recipients: many copies went to fewer than all three.
    assert sum(len(to) < 3 for mid, to in copies if FAIL not in queued[mid]) > 20
    with open_queue(path) as queue:
        sent = queue.list([State.SENT], limit=MESSAGES)
        failed = queue.list([State.FAILED], limit=MESSAGES)
    assert sorted(m.message_id for m in sent) == sorted(
        mid for mid, to in queued.items() if FAIL not in to
    )
    # fail@ fails after one attempt with the server's reply; the others of its message are sent.
    assert len(failed) == MESSAGES // 10
    for message in failed:
        ours = {r.address: r for r in message.recipients}
        assert (ours[FAIL].state, ours[FAIL].attempt) == (State.FAILED, 1)
        assert ours[FAIL].reply == "550 5.1.1 No such user (chaos)"
        assert [r.state for a, r in ours.items() if a != FAIL] == [State.SENT, State.SENT]
    # Each attempt that left a recipient to retry has its WARNING line.
    retried = {m.message_id: m.attempts - 1 for m in sent + failed if m.attempts > 1}
    assert len(retried) > 50
    assert retries_logged(log.read_text()) == Counter(retried)


def test_a_worker_killed_halfway_loses_nothing(
    chaotic_serve: ServeProcess, tmp_path: Path
) -> None:
    path, log = tmp_path / "queue.db", tmp_path / "worker.log"
    queued = queue_messages(path)
    first = start_worker(path, chaotic_serve, log)
    with open_queue(path) as queue:
        deadline = time.monotonic() + WORKER_TIMEOUT
        while queue.counts().sent < MESSAGES // 2 and time.monotonic() < deadline:
            assert first.poll() is None, "the worker finished before it could be killed"
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        in_flight = queue.counts().sending
    second = start_worker(path, chaotic_serve, log)
    assert second.wait(WORKER_TIMEOUT) == 0, log.read_text()
    caught, wanted = caught_pairs(caught_copies(chaotic_serve)), wanted_pairs(queued)
    assert set(caught) == set(wanted)
    # At least once: only the recipients of messages in the killed worker's hands may get two.
    assert sum(caught.values()) - len(wanted) <= 3 * in_flight <= 3 * 4
    with open_queue(path) as queue:
        assert queue.counts().as_json() == {"pending": 0, "sending": 0, "sent": 180, "failed": 20}
