"""The worker against a real aiosmtpd server: delivery, retries, failures, leases, stopping."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pochta.mail import EmailMessage, configure
from pochta.mail.queue import MailQueue, State, Worker, open_queue
from pochta.mail.queue.lease import owner_name
from pochta.mail.submission import build_submission
from tests.conftest import ServeProcess
from tests.mail.queue.conftest import queue_backend
from tests.mail.smtp_peer import SMTPServer, free_port

# The EMAIL_* settings and direct backends the worker uses are what Django 6.1 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def enqueue(queue: MailQueue, *recipients: str, **kwargs: object) -> list[EmailMessage]:
    messages = [EmailMessage(f"to {to}", "Body", "app@example.com", [to]) for to in recipients]
    assert queue_backend(queue.path, **kwargs).send_messages(messages) == len(messages)
    return messages


def test_worker_delivers_the_queued_bytes_with_their_message_id(
    queue: MailQueue, smtp_settings: SMTPServer
) -> None:
    enqueue(queue, "ann@example.com", "bob@example.com")
    sent = [queue.content(m.id) for m in queue.list()]
    report = Worker(queue).run(until_empty=True)
    assert (report.sent, report.failed, report.retried) == (2, 0, 0)
    assert [e.content for e in smtp_settings.envelopes] == sent
    assert [e.rcpt_tos for e in smtp_settings.envelopes] == [
        ["ann@example.com"],
        ["bob@example.com"],
    ]
    assert queue.counts().as_json() == {"pending": 0, "sending": 0, "sent": 2, "failed": 0}


def test_a_5xx_refusal_fails_the_message_at_once_with_the_reply(
    queue: MailQueue, smtp_settings: SMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    enqueue(queue, "nobody@example.com")
    with caplog.at_level(logging.INFO, logger="pochta.mail"):
        report = Worker(queue, retry_delay=0).run(until_empty=True)
    [failed] = queue.list([State.FAILED])
    assert (report.failed, failed.attempts) == (1, 1)
    assert "550 5.1.1 No such user" in failed.last_error
    [record] = [r for r in caplog.records if r.name == "pochta.mail"]
    assert (record.levelname, record.outcome) == ("ERROR", "failed")  # type: ignore[attr-defined]


def test_a_refused_connection_is_retried_until_the_last_attempt(
    queue: MailQueue, caplog: pytest.LogCaptureFixture
) -> None:
    configure(EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port())  # nothing listens there
    enqueue(queue, "ann@example.com", max_attempts=3)
    with caplog.at_level(logging.INFO, logger="pochta.mail"):
        report = Worker(queue, retry_delay=0.001, poll=0.01).run(until_empty=True)
    [failed] = queue.list([State.FAILED])
    assert (report.retried, report.failed, failed.attempts) == (2, 1, 3)
    assert "connection failed" in failed.last_error and "(after 3 attempts)" in failed.last_error
    levels = [r.levelname for r in caplog.records if r.name == "pochta.mail"]
    assert levels == ["WARNING", "WARNING", "ERROR"]


def test_a_message_that_failed_can_be_retried_and_then_goes(
    queue: MailQueue, smtp_settings: SMTPServer
) -> None:
    configure(EMAIL_PORT=free_port())
    enqueue(queue, "ann@example.com", max_attempts=1)
    Worker(queue).run(until_empty=True)
    assert queue.counts().failed == 1
    configure(EMAIL_PORT=smtp_settings.port)
    assert queue.retry() == 1
    assert Worker(queue).run(until_empty=True).sent == 1
    assert len(smtp_settings.envelopes) == 1


def test_workers_in_threads_and_instances_never_send_a_message_twice(
    queue_path: Path, smtp_settings: SMTPServer
) -> None:
    with open_queue(queue_path) as queue:
        enqueue(queue, *[f"user{n}@example.com" for n in range(60)])
    queues = [open_queue(queue_path) for _ in range(2)]
    workers = [Worker(q, concurrency=3) for q in queues]
    threads = [threading.Thread(target=w.run, kwargs={"until_empty": True}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for q in queues:
        q.close()
    delivered = sorted(e.rcpt_tos[0] for e in smtp_settings.envelopes)
    assert delivered == sorted(f"user{n}@example.com" for n in range(60))
    assert sum(w.report.sent for w in workers) == 60


def test_a_lease_held_by_a_dead_process_is_taken_at_once(queue: MailQueue) -> None:
    enqueue(queue, "ann@example.com")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = owner_name("w").replace(f":{os.getpid()}:", f":{dead.stdout.strip()}:")
    assert queue.claim(gone, lease=3600) is not None
    claim = queue.claim(owner_name("me"), lease=3600)
    assert claim is not None and claim.message.attempts == 2


def test_a_lease_held_by_a_live_worker_is_left_alone(queue: MailQueue) -> None:
    enqueue(queue, "ann@example.com")
    assert queue.claim("other-host:1:w", lease=3600) is not None
    assert queue.claim(owner_name("me"), lease=3600) is None
    assert queue.counts().sending == 1


def test_sigterm_finishes_the_message_in_hand_then_exits(
    tmp_path: Path, launch_serve: Callable[..., ServeProcess]
) -> None:
    rules = tmp_path / "slow.json"
    rules.write_text('{"rules": [{"stage": "data", "delay": 1.5}]}')
    server = launch_serve("--chaos-rules", str(rules))
    path = tmp_path / "q.db"
    with open_queue(path) as queue:
        enqueue(queue, "ann@example.com", "bob@example.com")
    env = {**os.environ, "EMAIL_HOST": server.smtp[0], "EMAIL_PORT": str(server.smtp[1])}
    worker = subprocess.Popen(
        [sys.executable, "-m", "pochta", "worker", "--queue", str(path), "--poll", "0.05"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    with open_queue(path) as queue:
        deadline = time.monotonic() + 30
        while queue.counts().sending == 0 and time.monotonic() < deadline:
            assert worker.poll() is None
            time.sleep(0.01)
        worker.send_signal(signal.SIGTERM)
        _, log = worker.communicate(timeout=30)
        assert worker.returncode == 0, log
        assert queue.counts().as_json() == {"pending": 1, "sending": 0, "sent": 1, "failed": 0}
    assert "pochta worker: 1 sent, 0 failed" in log


def test_the_worker_hands_each_backend_the_exact_submission(queue: MailQueue) -> None:
    [message] = enqueue(
        queue, "ann@example.com", delivery_backend="pochta.mail.backends.locmem.EmailBackend"
    )
    import pochta.mail

    Worker(queue).run(until_empty=True)
    [kept] = pochta.mail.outbox
    assert build_submission(kept).content == queue.content(queue.list([State.SENT])[0].id)
    assert kept.message()["Subject"] == message.subject
