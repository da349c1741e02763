"""The Task site's own Django test suite, and its mail settings read from the environment.

On Django 6.1 the site's mail settings are ``MAILERS``; on 5.2 and 6.0 the
``EMAIL_*`` settings: each test expects what the installed Django gets.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django
from pochta.mail.queue import open_queue
from tests.conftest import ServeProcess
from tests.django.django_site import SITE, manage, site_env

MAILERS = django.VERSION >= (6, 1)
SHOW_MAIL_SETTINGS = (
    "from django.conf import settings as s; import json; print(json.dumps("
    "s.MAILERS if hasattr(s, 'MAILERS') else {k: str(getattr(s, k))"
    " for k in ('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER',"
    " 'EMAIL_HOST_PASSWORD', 'EMAIL_USE_TLS', 'EMAIL_FILE_PATH')}, default=str))"
)
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def mail_settings(**env: str) -> dict[str, Any]:
    """Return the site's mail settings as Django sees them under ``env``: MAILERS or EMAIL_*."""
    output = manage("shell", "-c", SHOW_MAIL_SETTINGS, env=site_env(**env))
    return dict(json.loads(output.strip().splitlines()[-1]))


def test_the_sites_django_test_suite_passes() -> None:
    # Run from another folder: the site's runner finds its own tests from anywhere.
    done = subprocess.run(
        [sys.executable, str(SITE / "manage.py"), "test", "--noinput"],
        cwd=SITE.parent.parent,
        env=site_env(),
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ran = re.search(r"^Ran (\d+) tests? in ", done.stderr, re.MULTILINE)
    assert ran is not None and int(ran[1]) >= 27, done.stderr
    assert done.stderr.rstrip().endswith("OK\nDestroying test database for alias 'default'...")


def smtp_options(**changes: Any) -> dict[str, Any]:
    options = {
        "host": "127.0.0.1",
        "port": 1025,
        "username": "",
        "password": "",
        "use_tls": False,
        "timeout": 10,
    }
    return {**options, **changes}


def test_default_mail_settings_point_at_pochta() -> None:
    if MAILERS:
        assert mail_settings() == {"default": {"BACKEND": SMTP, "OPTIONS": smtp_options()}}
        return
    assert mail_settings() == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": "1025",
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": "False",
        "EMAIL_FILE_PATH": str(SITE / "sent_emails"),
    }


CREDENTIALS = {
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_PORT": "587",
    "EMAIL_HOST_USER": "app",
    "EMAIL_HOST_PASSWORD": "s3cret",
    "EMAIL_USE_TLS": "1",
}


def test_mail_settings_and_credentials_come_from_the_environment() -> None:
    if MAILERS:
        assert mail_settings(**CREDENTIALS) == {
            "default": {
                "BACKEND": SMTP,
                "OPTIONS": smtp_options(
                    host="smtp.example.com",
                    port=587,
                    username="app",
                    password="s3cret",
                    use_tls=True,
                ),
            }
        }
        return
    assert mail_settings(**CREDENTIALS, EMAIL_BACKEND="file") == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "app",
        "EMAIL_HOST_PASSWORD": "s3cret",
        "EMAIL_USE_TLS": "True",
        "EMAIL_FILE_PATH": str(SITE / "sent_emails"),
    }


def backend_of(**env: str) -> str:
    found = mail_settings(**env)
    return str(found["default"]["BACKEND"] if MAILERS else found["EMAIL_BACKEND"])


def test_email_backend_takes_a_short_name_or_a_dotted_path() -> None:
    backend = "pochta.mail.backends.console.EmailBackend"
    assert backend_of(EMAIL_BACKEND=backend) == backend
    assert backend_of(EMAIL_BACKEND="store") == "pochta.mail.backends.store.EmailBackend"
    assert backend_of(EMAIL_BACKEND="file") == "django.core.mail.backends.filebased.EmailBackend"


def test_on_django_61_each_backend_gets_its_options() -> None:
    if not MAILERS:
        return
    assert mail_settings(EMAIL_BACKEND="file")["default"] == {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(SITE / "sent_emails")},
    }
    assert mail_settings(EMAIL_BACKEND="pochta.mail.backends.smtp.EmailBackend")["default"] == {
        "BACKEND": "pochta.mail.backends.smtp.EmailBackend",
        "OPTIONS": smtp_options(),
    }
    queued = mail_settings(EMAIL_BACKEND="queue", EMAIL_QUEUE_PATH="/tmp/q.db")
    assert queued == {
        "default": {
            "BACKEND": "pochta.mail.backends.queue.EmailBackend",
            "OPTIONS": {"path": "/tmp/q.db", "delivery_backend": "smtp"},
        },
        "smtp": {"BACKEND": SMTP, "OPTIONS": smtp_options()},
    }


def test_no_secret_in_the_sites_code() -> None:
    code = (SITE / "tasksite" / "settings.py").read_text("utf-8")
    assert re.findall(r'"(?:username|password)": (.*),', code) == [
        'os.environ.get("EMAIL_HOST_USER", "")',
        'os.environ.get("EMAIL_HOST_PASSWORD", "")',
    ]
    assert re.findall(r"EMAIL_HOST_(?:USER|PASSWORD) = (.*)", code) == [
        '_smtp_options["username"]',
        '_smtp_options["password"]',
    ]


def test_the_beatles_form_sends_through_the_queue_and_the_worker(
    serve_process: ServeProcess, tmp_path: Path
) -> None:
    host, port = serve_process.smtp
    queue = tmp_path / "queue.db"
    env = site_env(
        EMAIL_BACKEND="queue",
        EMAIL_QUEUE_PATH=str(queue),
        EMAIL_HOST=host,
        EMAIL_PORT=str(port),
        TASKSITE_DATABASE=str(tmp_path / "db.sqlite3"),
    )
    form = (
        "from birthday.forms import BirthdayForm; "
        "f = BirthdayForm({'first_name': 'Ринго', 'last_name': 'Старр', "
        "'birthday': '1940-07-07'}); "
        "assert not f.is_valid()"
    )
    manage("migrate", "--noinput", env=env)
    manage("shell", "-c", form, env=env)
    with open_queue(queue) as opened:
        assert [m.rcpt_tos for m in opened.list()] == [("admin@acme.not",)]
    output = manage("pochta", "worker", "--until-empty", env=env)
    assert "pochta worker: 1 sent, 0 failed" in output
    found = serve_process.get("/api/v1/search", params={"query": "to:admin@acme.not"}).json()
    assert "Ринго Старр пытался опубликовать запись!" in found["messages"][0]["Snippet"]


def test_manage_py_pochta_worker_finishes_the_message_in_hand_on_sigterm(
    launch_serve: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    rules = tmp_path / "slow.json"
    rules.write_text('{"rules": [{"stage": "data", "delay": 1.5}]}')
    host, port = launch_serve("--chaos-rules", str(rules)).smtp
    queue = tmp_path / "queue.db"
    env = site_env(EMAIL_BACKEND="queue", EMAIL_HOST=host, EMAIL_PORT=str(port))
    notify = (
        "from django.core.mail import mail_admins; "
        "[mail_admins(f'Notice {n}', 'Body') for n in range(2)]"
    )
    manage("shell", "-c", notify, env={**env, "EMAIL_QUEUE_PATH": str(queue)})
    command = [sys.executable, str(SITE / "manage.py"), "pochta", "worker", "--queue", str(queue)]
    worker = subprocess.Popen(
        [*command, "--poll", "0.05"], env=env, stderr=subprocess.PIPE, text=True
    )
    with open_queue(queue) as opened:
        deadline = time.monotonic() + 60
        while opened.counts().sending == 0 and time.monotonic() < deadline:
            assert worker.poll() is None
            time.sleep(0.01)
        worker.send_signal(signal.SIGTERM)
        _, log = worker.communicate(timeout=60)
        assert worker.returncode == 0, log
        assert opened.counts().as_json() == {"pending": 1, "sending": 0, "sent": 1, "failed": 0}
    assert f"pochta worker: 1 sent, 0 failed, 0 retries; 1 pending, 0 failed in {queue}" in log
