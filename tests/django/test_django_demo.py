"""``pochta demo``: the catcher and the Task site together, with the demo login printed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.django.django_site import Demo, post_form, site_env, start_demo, stop


def test_prints_both_addresses_and_the_demo_login(demo: Demo) -> None:
    site, inbox, smtp = demo.site, demo.inbox, demo.smtp
    assert demo.lines[-6:] == [
        f"Site  {site}/",
        f"Inbox {inbox}/",
        f"SMTP  smtp://{smtp[0]}:{smtp[1]}",
        "Login demo / demo-password-1 (demo@task.local)",
        f"Try   {site}/accounts/password_reset/ with demo@task.local",
        "Ctrl-C stops both.",
    ]
    assert httpx.get(f"{site}/").status_code == 200
    assert httpx.get(f"{inbox}/livez").text == "ok"


def test_demo_user_logs_in_and_the_sites_mail_reaches_the_catcher(demo: Demo) -> None:
    with httpx.Client(base_url=demo.site) as browser:
        login = {"username": "demo", "password": "demo-password-1"}
        assert post_form(browser, "/accounts/login/", login).headers["location"] == "/"
        post_form(browser, "/tasks/new/", {"title": "Test Task"})
    listed = httpx.get(f"{demo.inbox}/api/v1/messages").json()["messages"]
    assert sorted((m["Subject"], m["To"][0]["Address"]) for m in listed) == [
        ("Задача «Test Task» создана", "demo@task.local"),
        ("Попытка создать тестовую задачу", "admin@task.local"),
    ]


def refused(address: str) -> bool:
    host, _, port = address.removeprefix("http://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), 0.5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_stops_both_children() -> None:
    running = start_demo()
    assert stop(running.process) == 0
    assert (refused(running.site), refused(running.inbox)) == (True, True)
    host, port = running.smtp
    assert refused(f"{host}:{port}")


def test_ctrl_c_in_the_terminal_stops_both_children() -> None:
    running = start_demo()
    # A terminal's Ctrl-C signals the foreground process group: the demo's alone.
    os.killpg(running.process.pid, signal.SIGINT)
    assert running.process.wait(30) == 0
    assert (refused(running.site), refused(running.inbox)) == (True, True)


def test_without_django_says_what_to_install() -> None:
    code = "import sys; sys.modules['django'] = None; from pochta.cli import main; main(['demo'])"
    done = subprocess.run(
        [sys.executable, "-c", code], env=site_env(), capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        "pochta demo needs Django: pip install 'pochta[django]'\n",
    )


def test_a_folder_without_the_site_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pochta", "demo", "--site", str(tmp_path)],
        env=site_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.endswith(
        f"Error: no Task site (manage.py) in {tmp_path}; give --site with the folder "
        "examples/tasksite of a pochta checkout\n"
    )


def test_a_taken_smtp_port_stops_the_demo_with_the_reason() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "pochta", "demo", "--temp"]
        done = subprocess.run(
            [*command, "--smtp", f"127.0.0.1:{port}", "--listen", "127.0.0.1:0"],
            env=site_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert (done.returncode, done.stdout) == (1, "")
    first, last = done.stderr.splitlines()[0], done.stderr.splitlines()[-1]
    assert first.startswith(f"pochta serve: cannot listen on 127.0.0.1:{port} for SMTP")
    assert last == "pochta demo: pochta serve did not start (see its message above)"


def children_of(pid: int) -> dict[int, str]:
    """Return the child processes of ``pid`` with their command lines (Linux /proc)."""
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {
        int(child): Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        for child in found
    }


def test_a_child_that_dies_stops_the_demo_and_the_other_child() -> None:
    running = start_demo()
    [site] = [pid for pid, line in children_of(running.process.pid).items() if "runserver" in line]
    os.kill(site, signal.SIGKILL)
    assert running.process.wait(30) == 1
    assert running.rest()[-1] == "pochta demo: runserver exited with code -9"
    assert refused(running.inbox)
