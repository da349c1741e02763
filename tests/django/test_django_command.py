"""``manage.py pochta``: the catcher started from the Task site, with the site's settings."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

import django
from tests.django.django_site import SITE, free_port, launch, manage, site_env, stop

PYTHON_MANAGE = [sys.executable, str(SITE / "manage.py")]
TASK_FORM = "from tasks.forms import TaskForm; assert TaskForm({'title': 'Test Task'}).is_valid()"


def test_catcher_takes_email_port_and_receives_the_sites_mail(tmp_path: Path) -> None:
    port = free_port()
    env = site_env(EMAIL_PORT=str(port), POCHTA_DATABASE=str(tmp_path / "mail.db"))
    catcher = launch([*PYTHON_MANAGE, "pochta", "--listen", "127.0.0.1:0"], env, "Store ")
    try:
        assert catcher.lines[0] == f"SMTP  smtp://127.0.0.1:{port}"
        assert catcher.lines[2] == f"Store {tmp_path / 'mail.db'}"
        api = catcher.lines[1].removeprefix("Inbox ")
        manage("sendtestemail", "ann@task.local", env=env)
        manage("shell", "-c", TASK_FORM, env=env)
        listed = httpx.get(f"{api}/api/v1/messages").json()["messages"]
        assert [(m["To"][0]["Address"], m["Subject"][:15]) for m in listed] == [
            ("admin@task.local", "Попытка создать"),
            ("ann@task.local", "Test email from"),
        ]
    finally:
        assert stop(catcher.process) == 0


def test_options_override_the_project(tmp_path: Path) -> None:
    port, email_port = free_port(), free_port()
    command = [*PYTHON_MANAGE, "pochta", "--smtp", f"127.0.0.1:{port}", "--listen", "127.0.0.1:0"]
    env = site_env(EMAIL_PORT=str(email_port), POCHTA_DATABASE=str(tmp_path / "ignored.db"))
    catcher = launch([*command, "--database", str(tmp_path / "given.db")], env, "Store ")
    try:
        warning, smtp, _, store = catcher.lines
        # The Task site's mail settings are MAILERS on Django 6.1, EMAIL_* before.
        setting = (
            "MAILERS['default']['OPTIONS']['port']" if django.VERSION >= (6, 1) else "EMAIL_PORT"
        )
        assert (warning, smtp, store) == (
            f"warning: the project sends mail to 127.0.0.1:{email_port}, the catcher listens "
            f"on 127.0.0.1:{port}; set {setting} = {port} or drop --smtp",
            f"SMTP  smtp://127.0.0.1:{port}",
            f"Store {tmp_path / 'given.db'}",
        )
    finally:
        assert stop(catcher.process, signal.SIGINT) == 0


def test_bad_option_is_one_line_and_exit_1() -> None:
    done = subprocess.run(
        [*PYTHON_MANAGE, "pochta", "--smtp", "1025"],
        env=site_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "CommandError: --smtp '1025' is not HOST:PORT; give e.g. 127.0.0.1:1025, "
        "0.0.0.0:1025 or [::1]:1025 (port 0 picks a free port)\n"
    )


def test_port_in_use_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*PYTHON_MANAGE, "pochta", "--listen", f"127.0.0.1:{port}"],
            env=site_env(EMAIL_PORT=str(free_port()), POCHTA_DATABASE=str(tmp_path / "m.db")),
            capture_output=True,
            text=True,
            check=False,
        )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"CommandError: pochta: cannot listen on 127.0.0.1:{port}")
    assert done.stderr.count("\n") == 1
