"""``pochta sendmail`` run by real programs that send mail through sendmail, from Debian.

PHP's ``mail()`` (``sendmail_path``), git's ``send-email`` (``--sendmail-cmd``)
and s-nail (mailx, its ``mta`` setting) each hand a message to ``pochta
sendmail``, which passes it to a running ``pochta serve``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pochta.store import open_store
from tests.program import debian_program

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

SCRIPT = Path(sys.executable).with_name("pochta-sendmail")


def latest(server: ServeProcess) -> dict[str, Any]:
    message: dict[str, Any] = server.get("/api/v1/message/latest").json()
    return message


def addresses(field: list[dict[str, str]]) -> list[str]:
    return [entry["Address"] for entry in field]


def test_php_mail_through_sendmail_path(serve_process: ServeProcess, tmp_path: Path) -> None:
    php = debian_program("php", "php-cli")
    host, port = serve_process.smtp
    script = tmp_path / "send.php"
    script.write_text(
        "<?php\n"
        '$ok = mail("ann@example.com", "PHP says hi", "Hello from PHP.\\n.\\nStill here.",\n'
        '    "From: php@example.com\\r\\nCc: cc@example.com", "-fbounce@example.com");\n'
        'echo $ok ? "sent" : "failed";\n',
        encoding="utf-8",
    )
    # PHP runs sendmail_path through the shell, adding -f from mail()'s fifth argument.
    path = f"{shlex.quote(str(SCRIPT))} -S {host}:{port} -t -i"
    done = subprocess.run(
        [php, "-n", "-d", f"sendmail_path={path}", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "sent"), done.stderr
    message = latest(serve_process)
    assert message["Subject"] == "PHP says hi"
    assert addresses(message["To"]) == ["ann@example.com"]
    assert addresses(message["Cc"]) == ["cc@example.com"]
    assert message["Text"].replace("\r\n", "\n") == "Hello from PHP.\n.\nStill here.\n"
    with open_store(serve_process.database) as store:  # mail()'s -f became MAIL FROM
        envelope = store.summary(message["ID"]).envelope
    assert (envelope.mail_from, envelope.rcpt_tos) == (
        "bounce@example.com",
        ("ann@example.com", "cc@example.com"),
    )


def test_php_mail_returns_false_when_no_catcher_listens(tmp_path: Path) -> None:
    php = debian_program("php", "php-cli")
    path = f"{shlex.quote(str(SCRIPT))} -S 127.0.0.1:1 -t -i"
    done = subprocess.run(
        [php, "-n", "-d", f"sendmail_path={path}", "-r", 'var_dump(mail("a@b.c", "s", "b"));'],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "bool(false)" in done.stdout


def test_git_send_email_with_sendmail_cmd(serve_process: ServeProcess, tmp_path: Path) -> None:
    git = debian_program("git", "git")
    if not (Path(git_exec_path(git)) / "git-send-email").exists():
        debian_program("git-send-email", "git-email")
    host, port = serve_process.smtp
    repo = tmp_path / "repo"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.com",
        "HOME": str(tmp_path),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [git, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done

    repo.mkdir()
    run("init", "-q")
    (repo / "notes.txt").write_text("one\n", encoding="utf-8")
    run("add", "notes.txt")
    run("commit", "-qm", "Add the notes")
    command = f"{shlex.quote(sys.executable)} -m pochta sendmail -S {host}:{port}"
    sent = run(
        "send-email", "--to=list@example.com", "--cc=reviewer@example.com",
        "--from=Dev <dev@example.com>", f"--sendmail-cmd={command}", "--confirm=never",
        "--suppress-cc=self", "-1",
    )  # fmt: skip
    assert "Result: OK" in sent.stdout
    message = latest(serve_process)
    assert message["Subject"] == "[PATCH] Add the notes"
    assert addresses(message["To"]) == ["list@example.com"]
    assert addresses(message["Cc"]) == ["reviewer@example.com"]
    assert "+one" in message["Text"]


def git_exec_path(git: str) -> str:
    return subprocess.run(
        [git, "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_s_nail_with_pochta_sendmail_as_its_mta(
    serve_process: ServeProcess, tmp_path: Path
) -> None:
    s_nail = debian_program("s-nail", "s-nail")
    host, port = serve_process.smtp
    attachment = tmp_path / "report.txt"
    attachment.write_text("figures\n", encoding="utf-8")
    done = subprocess.run(
        [
            s_nail, "-:/", "-Sv15-compat", f"-Smta={SCRIPT}", f"-Smta-arguments=-S {host}:{port}",
            "-r", "cron@example.com", "-s", "Nightly report", "-a", str(attachment),
            "ops@example.com",
        ],
        input="All jobs ran.\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    message = latest(serve_process)
    assert message["Subject"] == "Nightly report"
    assert addresses(message["To"]) == ["ops@example.com"]
    assert message["From"]["Address"] == "cron@example.com"
    assert [a["FileName"] for a in message["Attachments"]] == ["report.txt"]
