"""The worker against a real aiosmtpd server: delivery, retries, failures, leases, stopping.

Delivery goes through Django 6.1's ``MAILERS`` (the ``smtp`` alias of
conftest.py); one test drives the Django 6.0 way and expects its warning.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from pochta.exceptions import ConfigurationError
from pochta.mail import EmailMessage, configure
from pochta.mail.deprecation import RemovedInDjango2028Warning
from pochta.mail.queue import MailQueue, State, Worker, open_queue, retry_delay
from pochta.mail.queue.lease import owner_name
from pochta.mail.submission import build_submission
from tests.conftest import ServeProcess, start_serve
from tests.mail.queue.conftest import mailers_json, point_smtp_mailer, queue_backend
from tests.mail.smtp_peer import SMTPServer, free_port


@pytest.fixture(scope="module")
def chaos_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """One ``pochta serve`` with chaos on, for tests that each PUT the rules they need."""
    served = start_serve(tmp_path_factory.mktemp("chaos") / "mail.db", "--enable-chaos")
    yield served
    served.stop()


def set_chaos(server: ServeProcess, *rules: Mapping[str, object]) -> None:
    """Give the shared catcher ``rules`` and empty it, for the test that begins."""
    assert server.request("PUT", "/api/v1/chaos/rules", json={"rules": rules}).status_code == 200
    server.request("DELETE", "/api/v1/messages").raise_for_status()


def enqueue(queue: MailQueue, *recipients: str, **kwargs: object) -> list[EmailMessage]:
    messages = [EmailMessage(f"to {to}", "Body", "app@example.com", [to]) for to in recipients]
    assert queue_backend(queue.path, **kwargs).send_messages(messages) == len(messages)
    return messages


def test_worker_delivers_the_queued_bytes_with_their_message_id(
    queue: MailQueue, smtp_mailer: SMTPServer
) -> None:
    enqueue(queue, "ann@example.com", "bob@example.com")
    sent = [queue.content(m.id) for m in queue.list()]
    report = Worker(queue).run(until_empty=True)
    assert (report.sent, report.failed, report.retried) == (2, 0, 0)
    assert [e.content for e in smtp_mailer.envelopes] == sent
    assert [e.rcpt_tos for e in smtp_mailer.envelopes] == [
        ["ann@example.com"],
        ["bob@example.com"],
    ]
    assert queue.counts().as_json() == {"pending": 0, "sending": 0, "sent": 2, "failed": 0}


def test_a_5xx_refusal_fails_the_message_at_once_with_the_reply(
    queue: MailQueue, smtp_mailer: SMTPServer, caplog: pytest.LogCaptureFixture
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
    point_smtp_mailer("127.0.0.1", free_port())  # nothing listens there
    enqueue(queue, "ann@example.com", max_attempts=3)
    with caplog.at_level(logging.INFO, logger="pochta.mail"):
        report = Worker(queue, retry_delay=0.001, poll=0.01).run(until_empty=True)
    [failed] = queue.list([State.FAILED])
    assert (report.retried, report.failed, failed.attempts) == (2, 1, 3)
    assert "connection failed" in failed.last_error and "(after 3 attempts)" in failed.last_error
    levels = [r.levelname for r in caplog.records if r.name == "pochta.mail"]
    assert levels == ["WARNING", "WARNING", "ERROR"]


def test_a_message_that_failed_can_be_retried_and_then_goes(
    queue: MailQueue, smtp_mailer: SMTPServer
) -> None:
    point_smtp_mailer("127.0.0.1", free_port())
    enqueue(queue, "ann@example.com", max_attempts=1)
    Worker(queue).run(until_empty=True)
    assert queue.counts().failed == 1
    point_smtp_mailer(smtp_mailer.host, smtp_mailer.port)
    assert queue.retry() == 1
    assert Worker(queue).run(until_empty=True).sent == 1
    assert len(smtp_mailer.envelopes) == 1


def test_workers_in_threads_and_instances_never_send_a_message_twice(
    queue_path: Path, smtp_mailer: SMTPServer
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
    delivered = sorted(e.rcpt_tos[0] for e in smtp_mailer.envelopes)
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


def owner_in_a_new_pid_namespace() -> str:
    """Return the lease owner a worker in a PID namespace of its own writes (skip without one)."""
    script = "from pochta.mail.queue.lease import owner_name; print(owner_name('w'))"
    command = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        pytest.skip("no unshare here")
    if done.returncode != 0:
        pytest.skip(f"cannot make a PID namespace here: {done.stderr.strip()}")
    return done.stdout.strip()


def test_a_lease_of_another_pid_namespace_on_this_host_waits_for_its_end(
    queue: MailQueue,
) -> None:
    # A container sharing this host name (--network host) and the queue file: its pid,
    # here a number no process of ours has, must not be read as a worker of ours gone.
    host, pid, name = owner_in_a_new_pid_namespace().split(":")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert (pid, name) == ("1", "w") and host != owner_name().split(":")[0]
    enqueue(queue, "ann@example.com")
    assert queue.claim(f"{host}:{dead}:w", lease=3600) is not None
    assert queue.claim(owner_name("me"), lease=3600) is None
    assert queue.counts().sending == 1


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
    env = {**os.environ, "MAILERS": mailers_json(*server.smtp)}
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


def recipients_of(queue: MailQueue, id: int) -> list[tuple[str, str, int, str]]:
    found = queue.get(id)
    assert found is not None
    return [(r.address, str(r.state), r.attempt, r.reply) for r in found.recipients]


def test_a_recipient_refused_with_a_4xx_is_retried_alone_with_the_same_bytes(
    queue: MailQueue, smtp_mailer: SMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    messages = [EmailMessage("Hi", "Body", "app@example.com", ["ann@example.com"])]
    messages[0].bcc = ["busy@example.com", "nobody@example.com"]
    assert queue_backend(queue.path).send_messages(messages) == 1
    [queued] = queue.list()
    with caplog.at_level(logging.INFO, logger="pochta.mail"):
        report = Worker(queue, retry_delay=0, poll=0.01).run(until_empty=True)
    assert [e.rcpt_tos for e in smtp_mailer.envelopes] == [
        ["ann@example.com"],
        ["busy@example.com"],
    ]
    assert {e.content for e in smtp_mailer.envelopes} == {queue.content(queued.id)}
    assert recipients_of(queue, queued.id) == [
        ("ann@example.com", "sent", 1, ""),
        ("busy@example.com", "sent", 2, ""),
        ("nobody@example.com", "failed", 1, "550 5.1.1 No such user"),
    ]
    assert (report.retried, report.failed, report.sent) == (1, 1, 0)
    lines = [(r.levelname, r.outcome, r.rcpt_tos) for r in caplog.records]  # type: ignore[attr-defined]
    assert lines == [
        ("INFO", "sent", ["ann@example.com"]),
        ("WARNING", "retry", ["busy@example.com"]),
        ("ERROR", "failed", ["nobody@example.com"]),
        ("INFO", "sent", ["busy@example.com"]),
    ]
    assert (
        "451 4.2.1 Mailbox busy, try later; attempt 1 of 8, next in" in caplog.records[1].message
    )


def test_every_recipient_refused_is_judged_one_by_one(
    queue: MailQueue, smtp_mailer: SMTPServer
) -> None:
    # Every recipient refused: smtplib raises, and each still keeps its own fate.
    message = EmailMessage("x", "y", "app@example.com", ["busy@example.com", "nobody@example.com"])
    assert queue_backend(queue.path).send_messages([message]) == 1
    report = Worker(queue, retry_delay=0, poll=0.01).run(until_empty=True)
    [failed] = queue.list([State.FAILED])
    assert (report.retried, report.failed) == (1, 1)
    assert recipients_of(queue, failed.id) == [
        ("busy@example.com", "sent", 2, ""),
        ("nobody@example.com", "failed", 1, "550 5.1.1 No such user"),
    ]
    assert [e.rcpt_tos for e in smtp_mailer.envelopes] == [["busy@example.com"]]


def test_retry_tries_again_only_the_recipients_that_failed(
    queue: MailQueue, smtp_mailer: SMTPServer
) -> None:
    [message] = enqueue(queue, "ann@example.com")
    message.to.append("nobody@example.com")
    Worker(queue).run(until_empty=True)
    assert queue_backend(queue.path).send_messages([message]) == 1
    Worker(queue).run(until_empty=True)
    failed = queue.list([State.FAILED])[0].id
    assert queue.retry([failed]) == 1
    Worker(queue).run(until_empty=True)
    # ann got it once, from the first try; the retry asked the server for nobody alone.
    assert [e.rcpt_tos for e in smtp_mailer.envelopes] == [["ann@example.com"]] * 2
    assert recipients_of(queue, failed)[0] == ("ann@example.com", "sent", 1, "")
    assert queue.get(failed).state is State.FAILED  # type: ignore[union-attr]


def test_a_5xx_recipient_fails_even_when_the_connection_drops_in_data(
    queue: MailQueue, tmp_path: Path, launch_serve: Callable[..., ServeProcess]
) -> None:
    rules = tmp_path / "drop.json"
    rules.write_text(
        '{"rules": [{"recipient": "nobody@*", "reply": "550 5.1.1 No such user"},'
        ' {"stage": "data", "close": true}]}'
    )
    server = launch_serve("--chaos-rules", str(rules))
    point_smtp_mailer(*server.smtp)
    message = EmailMessage("x", "y", "app@example.com", ["ann@example.com", "nobody@example.com"])
    assert queue_backend(queue.path, max_attempts=2).send_messages([message]) == 1
    report = Worker(queue, retry_delay=0, poll=0.01).run(until_empty=True)
    [failed] = queue.list([State.FAILED])
    assert (report.retried, report.failed) == (1, 1)
    [ann, nobody] = recipients_of(queue, failed.id)
    assert nobody == ("nobody@example.com", "failed", 1, "550 5.1.1 No such user")
    assert ann[:3] == ("ann@example.com", "failed", 2) and ann[3].startswith("connection closed")
    assert failed.last_error.endswith("(after 2 attempts)")
    assert server.get("/api/v1/messages").json()["total"] == 0


def test_a_mailer_that_is_not_configured_keeps_the_message_waiting(queue: MailQueue) -> None:
    configure(MAILERS={})
    [_] = enqueue(queue, "ann@example.com")
    [queued] = queue.list()
    assert Worker(queue, retry_delay=60).deliver(queued.id) is State.PENDING
    [waiting] = queue.list()
    assert waiting.attempts == 1
    assert waiting.last_error == (
        "cannot deliver through the backend: \"The mailer 'smtp' is not configured.\"; "
        "fix the settings"
    )


def test_the_django_60_settings_still_deliver_and_warn(
    queue: MailQueue, smtp_server: SMTPServer
) -> None:
    with pytest.warns(RemovedInDjango2028Warning, match=r"The EMAIL_(HOST|PORT) setting is dep"):
        configure(EMAIL_HOST=smtp_server.host, EMAIL_PORT=smtp_server.port)
    enqueue(queue, "ann@example.com", delivery_backend="pochta.mail.backends.smtp.EmailBackend")
    assert Worker(queue).run(until_empty=True).sent == 1
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["ann@example.com"]]


def test_the_lease_and_the_longest_retry_delay_come_from_settings(queue: MailQueue) -> None:
    configure(EMAIL_QUEUE_LEASE=42, EMAIL_QUEUE_MAX_RETRY_DELAY=0.5, MAILERS={})
    worker = Worker(queue, retry_delay=1000)
    assert (worker.lease, worker.max_retry_delay) == (42.0, 0.5)
    enqueue(queue, "ann@example.com")
    before = time.time()
    assert worker.deliver(queue.list()[0].id) is State.PENDING
    [waiting] = queue.list()
    assert waiting.next_try is not None and waiting.next_try - before <= 0.5 + 1


@pytest.mark.parametrize(
    ("name", "value"), [("EMAIL_QUEUE_LEASE", 0), ("EMAIL_QUEUE_MAX_RETRY_DELAY", "an hour")]
)
def test_a_bad_lease_or_retry_cap_is_refused_with_the_fix(
    queue: MailQueue, name: str, value: object
) -> None:
    configure(**{name: value})
    with pytest.raises(ConfigurationError, match=f"{name} {value!r} is not a number of seconds"):
        Worker(queue)


def test_the_retry_delay_doubles_and_stops_at_its_cap() -> None:
    steady = random.Random(1)
    delays = [retry_delay(n, 30, cap=3600, rng=steady) for n in (1, 2, 3, 9, 1000)]
    assert 22.5 <= delays[0] <= 37.5 and 45 <= delays[1] <= 75 and 90 <= delays[2] <= 150
    assert delays[3:] == [3600, 3600]


def test_one_connection_carries_message_after_message_until_a_try_fails(
    queue: MailQueue, smtp_mailer: SMTPServer
) -> None:
    enqueue(queue, "ann@example.com", "bob@example.com", "nobody@example.com")
    enqueue(queue, "cat@example.com", "dan@example.com")
    Worker(queue, retry_delay=0).run(until_empty=True)
    # nobody@ is refused (smtplib raises): that connection is dropped, the next one carries on.
    assert [e.rcpt_tos[0] for e in smtp_mailer.envelopes] == [
        "ann@example.com",
        "bob@example.com",
        "cat@example.com",
        "dan@example.com",
    ]
    first, second = smtp_mailer.handler.peers[:2], smtp_mailer.handler.peers[2:]
    assert len(set(first)) == len(set(second)) == 1 and first[0] != second[0]


def test_a_lease_that_runs_out_is_taken_by_another_worker(queue: MailQueue) -> None:
    enqueue(queue, "ann@example.com")
    # Another machine's worker: nothing tells whether it is alive, only its lease's end.
    assert queue.claim("other-host:1:w", lease=0.2) is not None
    assert queue.claim(owner_name("me"), lease=3600) is None
    deadline = time.monotonic() + 30
    claim = None
    while claim is None and time.monotonic() < deadline:
        time.sleep(0.05)
        claim = queue.claim(owner_name("me"), lease=3600)
    assert claim is not None and (claim.message.attempts, claim.owner) == (2, owner_name("me"))


def test_a_last_attempt_cut_off_by_a_dead_worker_fails_the_message(queue: MailQueue) -> None:
    enqueue(queue, "ann@example.com", max_attempts=1)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    assert queue.claim(owner_name("w").replace(f":{os.getpid()}:", f":{dead}:"), lease=3600)
    assert queue.claim(owner_name("me"), lease=3600) is None
    [failed] = queue.list([State.FAILED])
    assert failed.attempts == 1
    assert failed.last_error.startswith("the worker stopped during the last attempt")


def test_a_reply_slower_than_the_timeout_is_retried_later(
    queue: MailQueue, chaos_server: ServeProcess
) -> None:
    server = chaos_server
    set_chaos(server, {"recipient": "slow@*", "delay": 5})
    options = {"host": server.smtp[0], "port": server.smtp[1], "timeout": 0.5}
    configure(MAILERS={"smtp": {"OPTIONS": options}})
    enqueue(queue, "slow@example.com")
    [queued] = queue.list()
    assert Worker(queue, retry_delay=60).deliver(queued.id) is State.PENDING
    [waiting] = queue.list()
    assert waiting.attempts == 1 and "timed out" in waiting.last_error
    assert server.get("/api/v1/messages").json()["total"] == 0


def test_a_lease_lost_during_a_slow_send_is_a_send_log_warning(
    queue: MailQueue, chaos_server: ServeProcess, caplog: pytest.LogCaptureFixture
) -> None:
    server = chaos_server
    set_chaos(server, {"stage": "data", "delay": 1})
    point_smtp_mailer(*server.smtp)
    enqueue(queue, "ann@example.com")
    [queued] = queue.list()
    worker = Worker(queue, lease=0.2)
    with caplog.at_level(logging.INFO, logger="pochta.mail"):
        sending = threading.Thread(target=worker.deliver, args=(queued.id,))
        sending.start()
        deadline, other = time.monotonic() + 30, None
        while other is None and time.monotonic() < deadline:  # the lease runs out mid-DATA
            time.sleep(0.05)
            other = queue.claim("other-host:1:w", lease=3600)
        sending.join(30)
    assert other is not None and other.message.attempts == 2
    [line] = [r for r in caplog.records if r.name == "pochta.mail"]
    assert (line.levelname, line.outcome, line.rcpt_tos) == (  # type: ignore[attr-defined]
        "WARNING",
        "lease lost",
        ["ann@example.com"],
    )
    assert "its lease ran out during the attempt" in line.message
    assert worker.report.sent == 0 and queue.counts().sending == 1


@pytest.mark.parametrize(
    ("rule", "state", "error"),
    [
        (
            {"stage": "mail", "reply": "451 4.3.2 Sender busy"},
            State.PENDING,
            "451 4.3.2 Sender busy",
        ),
        ({"stage": "data", "reply": "452 4.3.1 Full"}, State.PENDING, "452 4.3.1 Full"),
        ({"stage": "mail", "reply": "553 5.7.1 Not you"}, State.FAILED, "553 5.7.1 Not you"),
        ({"stage": "data", "reply": "554 5.6.0 Spam"}, State.FAILED, "554 5.6.0 Spam"),
        ({"stage": "connect", "reply": "421 4.3.2 Going away"}, State.PENDING, "421 4.3.2"),
    ],
    ids=["451-mail", "452-data", "553-mail", "554-data", "421-greeting"],
)
def test_a_reply_at_any_stage_is_retried_if_4xx_and_failed_if_5xx(
    queue: MailQueue, chaos_server: ServeProcess, rule: dict[str, str], state: State, error: str
) -> None:
    server = chaos_server
    set_chaos(server, rule)
    point_smtp_mailer(*server.smtp)
    enqueue(queue, "ann@example.com")
    [queued] = queue.list()
    assert Worker(queue, retry_delay=60).deliver(queued.id) is state
    [after] = queue.list([state])
    assert after.attempts == 1 and after.last_error.startswith(error), after.last_error
    assert [r.state for r in after.recipients] == [state]
    assert server.get("/api/v1/messages").json()["total"] == 0


def test_retries_wait_the_retry_delay_doubled_each_time_by_default(queue: MailQueue) -> None:
    configure(MAILERS={})  # the smtp mailer missing: a transient failure at every try
    enqueue(queue, "ann@example.com")
    [queued] = queue.list()
    worker, waits = Worker(queue), []
    for _ in range(3):
        before = time.time()
        assert worker.deliver(queued.id) is State.PENDING
        found = queue.get(queued.id)
        assert found is not None and found.next_try is not None
        waits.append(found.next_try - before)
    # EMAIL_QUEUE_RETRY_DELAY's 30 s, then 60 and 120, each within the 25% jitter.
    assert 22.5 <= waits[0] <= 37.5 + 1 and 45 <= waits[1] <= 75 + 1 and 90 <= waits[2] <= 151
    assert [m.attempts for m in queue.list()] == [3]
