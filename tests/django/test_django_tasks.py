"""``pochta.django.tasks``: queue durably, then deliver through Django's tasks framework."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import django
from tests.conftest import ServeProcess

# django.tasks came with Django 6.0 (noxfile.py runs these tests on 5.2 too).
pytestmark = pytest.mark.skipif(django.VERSION < (6, 0), reason="django.tasks is Django 6.0's")

SCRIPT = textwrap.dedent("""
    import json, sys
    import django
    from django.conf import settings
    from django.tasks.backends.base import BaseTaskBackend

    class DownBackend(BaseTaskBackend):
        def enqueue(self, task, args, kwargs):
            raise ConnectionError("the task broker is unreachable")

    tasks = "__main__.DownBackend" if sys.argv[4:] == ["down"] else (
        "django.tasks.backends.immediate.ImmediateBackend")
    settings.configure(
        EMAIL_BACKEND="pochta.django.tasks.EmailBackend",
        EMAIL_QUEUE_PATH=sys.argv[1],
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=int(sys.argv[2]),
        TASKS={"default": {"BACKEND": tasks}},
    )
    django.setup()
    from django.core.mail import send_mail
    from pochta.mail.queue import open_queue
    sent = send_mail("By a task", "Body", "app@example.com", [sys.argv[3]])
    with open_queue(sys.argv[1]) as queue:
        print(json.dumps({"sent": sent, "queue": [m.as_json() for m in queue.list(
            ["pending", "sending", "sent", "failed"])]}))
""")


def run(tmp_path: Path, server: ServeProcess, to: str, *more: str) -> dict[str, Any]:
    command = [sys.executable, "-c", SCRIPT, str(tmp_path / "q.db"), str(server.smtp[1]), to]
    done = subprocess.run([*command, *more], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    result["stderr"] = done.stderr
    return result


def test_djangos_send_mail_is_delivered_by_a_task(
    serve_process: ServeProcess, tmp_path: Path
) -> None:
    result = run(tmp_path, serve_process, "ann@example.com")
    [queued] = result["queue"]
    assert (result["sent"], queued["state"], queued["attempts"]) == (1, "sent", 1)
    listed = serve_process.get("/api/v1/search", params={"query": 'subject:"By a task"'}).json()
    assert [f"<{m['MessageID']}>" for m in listed["messages"]] == [queued["message_id"]]


def test_a_refused_message_stays_in_the_queue_with_the_reply(
    tmp_path: Path, launch_serve: Callable[..., ServeProcess]
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('{"rules": [{"recipient": "busy@*", "reply": "451 4.7.1 Busy"}]}')
    server = launch_serve("--chaos-rules", str(rules))
    result = run(tmp_path, server, "busy@example.com")
    [queued] = result["queue"]
    assert (result["sent"], queued["state"], queued["attempts"]) == (1, "pending", 1)
    assert "451 4.7.1 Busy" in queued["last_error"]


def test_a_task_backend_that_is_down_leaves_the_message_for_the_worker(
    serve_process: ServeProcess, tmp_path: Path
) -> None:
    result = run(tmp_path, serve_process, "ann@example.com", "down")
    [queued] = result["queue"]
    assert (result["sent"], queued["state"], queued["attempts"]) == (1, "pending", 0)
    assert "not given to the task backend (ConnectionError: the task broker is" in result["stderr"]
    assert "pochta worker will deliver it" in result["stderr"]
