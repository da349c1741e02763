"""``pochta send``: through click's CliRunner and once as a real subprocess."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

import pochta.mail
from pochta.cli import main
from pochta.cli.send import _describe_failure
from tests.mail.smtp_peer import SMTPServer, free_port

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

LOCMEM = "pochta.mail.backends.locmem.EmailBackend"
CONSOLE = "pochta.mail.backends.console.EmailBackend"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "mail.md"


def invoke(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["send", *args], input=stdin, env=env)


def test_send_builds_the_message_from_options() -> None:
    result = invoke(
        "--backend", LOCMEM, "--to", "a@x.com", "--to", "b@x.com", "--cc", "c@x.com",
        "--bcc", "d@x.com", "--from", "me@x.com", "--subject", "Привет", "--body", "Текст",
    )  # fmt: skip

    assert (result.exit_code, result.stderr) == (
        0,
        "pochta send: sent 1 message to 4 recipient(s)\n",
    )
    [message] = pochta.mail.outbox
    assert (message.subject, message.body, message.from_email) == ("Привет", "Текст", "me@x.com")
    assert message.recipients() == ["a@x.com", "b@x.com", "c@x.com", "d@x.com"]


def test_body_from_stdin_and_backend_from_environment() -> None:
    result = invoke(
        "--to", "a@x.com", "--subject", "s",
        stdin="line 1\nline 2\n", env={"EMAIL_BACKEND": LOCMEM},
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert [m.body for m in pochta.mail.outbox] == ["line 1\nline 2\n"]


def test_body_file_html_and_attachments(tmp_path: Path) -> None:
    (tmp_path / "body.txt").write_text("Текст из файла\n", encoding="utf-8")
    (tmp_path / "body.html").write_text("<p>HTML</p>", encoding="utf-8")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")

    result = invoke(
        "--backend", LOCMEM, "--to", "a@x.com", "--subject", "s",
        "--body-file", str(tmp_path / "body.txt"), "--html", str(tmp_path / "body.html"),
        "--attach", str(tmp_path / "report.pdf"), "--attach", str(tmp_path / "body.txt"),
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    [message] = pochta.mail.outbox
    assert (message.body, message.alternatives, message.attachments) == (
        "Текст из файла\n",
        [("<p>HTML</p>", "text/html")],
        [
            ("report.pdf", b"%PDF-1.4", "application/pdf"),
            ("body.txt", "Текст из файла\n", "text/plain"),
        ],
    )


def test_console_backend_prints_a_long_link_whole() -> None:
    link = "https://example.com/accounts/reset/" + "k3J9-" * 25

    result = invoke("--backend", CONSOLE, "--to", "a@x.com", "--subject", "s", "--body", link)

    assert result.exit_code == 0, result.stderr
    assert link in result.stdout.splitlines()
    assert result.stdout.endswith("-" * 79 + "\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--subject", "a\nBcc: victim@x.com", "--body", "b", "--backend", LOCMEM],
            "pochta send: could not send: Header values may not contain linefeed",
        ),
        (
            ["--subject", "s", "--body", "b", "--attach", "missing.pdf", "--backend", LOCMEM],
            "pochta send: could not send: [Errno 2] No such file or directory: 'missing.pdf'",
        ),
        (
            [
                "--subject",
                "s",
                "--body",
                "b",
                "--backend",
                "pochta.mail.backends.nosuch.EmailBackend",
            ],
            "pochta send: could not send: email backend "
            "'pochta.mail.backends.nosuch.EmailBackend' cannot be imported",
        ),
    ],
)
def test_failures_are_one_line_errors(args: list[str], message: str) -> None:
    result = invoke("--to", "a@x.com", *args)

    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_refused_connection_names_the_server() -> None:
    port = free_port()

    result = invoke(
        "--to", "a@x.com", "--subject", "s", "--body", "b",
        env={"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)},
    )  # fmt: skip

    assert result.exit_code == 1
    assert result.stderr == (
        f"pochta send: could not send through 127.0.0.1:{port}: [Errno 111] Connection refused; "
        "nothing listens there. To send to `pochta serve` (port 1025), set EMAIL_PORT=1025: "
        "EMAIL_PORT=1025 pochta send ...\n"
    )


def test_a_bad_address_is_reported_as_one_before_connecting(smtp_server: SMTPServer) -> None:
    env = {"EMAIL_HOST": smtp_server.host, "EMAIL_PORT": str(smtp_server.port)}

    answers = [
        invoke(*args, "--subject", "s", "--body", "b", env=env)
        for args in (
            ["--to", "not an address"],
            ["--to", "a@x.com", "--cc", "two@x.com, three@x.com"],
            ["--to", "a@x.com", "--from", "me at home"],
        )
    ]

    assert [(a.exit_code, a.stderr.split(" is not")[0]) for a in answers] == [
        (1, "pochta send: --to 'not an address'"),
        (1, "pochta send: --cc 'two@x.com, three@x.com'"),
        (1, "pochta send: --from 'me at home'"),
    ]
    assert answers[1].stderr == (
        "pochta send: --cc 'two@x.com, three@x.com' is not an email address (must be a single "
        "address); give one address such as ann@example.com\n"
    )
    assert smtp_server.envelopes == []


def test_refused_at_the_pochta_port_asks_whether_pochta_serve_runs() -> None:
    # Port 1025 may be a real pochta serve on this machine: judge the reply, send nothing.
    refused = ConnectionRefusedError(111, "Connection refused")

    assert _describe_failure(refused, ("localhost", 1025)) == (
        "could not send through localhost:1025: [Errno 111] Connection refused; "
        "is `pochta serve` running? Start it in another terminal"
    )


def test_a_message_over_the_servers_limit_shows_its_552(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    server = launch_serve("--max-message-size", "1K")
    host, port = server.smtp

    result = invoke(
        "--to", "a@x.com", "--subject", "big", "--body", "x" * 2000,
        env={"EMAIL_HOST": host, "EMAIL_PORT": str(port)},
    )  # fmt: skip

    assert result.exit_code == 1
    assert result.stderr == (
        f"pochta send: could not send through {host}:{port}: the server answered 552 5.3.4 "
        "Message size exceeds the limit of 1024 bytes (1K)\n"
    )


def test_body_and_body_file_together_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(
        "--to", "a@x.com", "--subject", "s", "--body", "b", "--body-file", str(tmp_path / "f")
    )  # fmt: skip

    assert result.exit_code == 2
    assert "give --body or --body-file, not both" in result.stderr


def run_pochta(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    pochta = Path(sys.executable).with_name("pochta")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DEFAULT_"))}
    return subprocess.run(
        [str(pochta), "send", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
        check=False,
    )


def test_real_process_with_console_backend() -> None:
    result = run_pochta(
        "--backend", CONSOLE, "--to", "a@x.com", "--subject", "Проверка", "--body", "Тело письма",
        env={},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Content-Transfer-Encoding: 8bit\n" in result.stdout
    assert "\nТело письма\n" in result.stdout
    assert result.stderr == "pochta send: sent 1 message to 1 recipient(s)\n"


def test_real_process_over_smtp_with_environment_settings(smtp_server: SMTPServer) -> None:
    result = run_pochta(
        "--to", "a@x.com", "--subject", "Over SMTP", "--body", "Hello",
        env={
            "EMAIL_HOST": smtp_server.host,
            "EMAIL_PORT": str(smtp_server.port),
            "DEFAULT_FROM_EMAIL": "cli@x.com",
        },
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    [envelope] = smtp_server.envelopes
    parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert (envelope.mail_from, envelope.rcpt_tos, str(parsed["Subject"])) == (
        "cli@x.com",
        ["a@x.com"],
        "Over SMTP",
    )


def test_help_text_is_reproduced_in_the_docs() -> None:
    result = CliRunner().invoke(main, ["send", "--help"], prog_name="pochta", terminal_width=80)

    assert result.exit_code == 0
    assert result.output in DOCS.read_text(encoding="utf-8")


def test_mailers_from_the_environment_and_using(smtp_server: SMTPServer) -> None:
    mailers = {
        "default": {"BACKEND": LOCMEM},
        "catcher": {"OPTIONS": {"host": smtp_server.host, "port": smtp_server.port}},
    }
    env = {"MAILERS": json.dumps(mailers)}

    by_default = invoke("--to", "a@x.com", "--subject", "kept", "--body", "b", env=env)
    by_alias = invoke(
        "--using", "catcher", "--to", "b@x.com", "--subject", "s", "--body", "b", env=env
    )

    assert (by_default.exit_code, by_alias.exit_code) == (0, 0), by_alias.stderr
    assert [(m.subject, m.sent_using) for m in pochta.mail.outbox] == [("kept", "default")]
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["b@x.com"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--using", "nope"],
            "pochta send: could not send: The mailer 'nope' is not configured.\n",
        ),
        (["--backend", LOCMEM], "--backend is not for MAILERS; name an entry with --using"),
        (["--backend", LOCMEM, "--using", "default"], "give --using or --backend, not both"),
    ],
)
def test_using_errors_are_one_line(args: list[str], message: str) -> None:
    env = {"MAILERS": '{"default": {"BACKEND": "pochta.mail.backends.dummy.EmailBackend"}}'}

    result = invoke(*args, "--to", "a@x.com", "--subject", "s", "--body", "b", env=env)

    assert result.exit_code in (1, 2)
    assert message in result.stderr
