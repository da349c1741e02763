"""``pochta sendmail``: sendmail's options and exit codes, into a store file and over SMTP."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from pochta.cli import main
from pochta.store import Envelope, open_store

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

MESSAGE = b"From: app@example.com\nTo: Ann <ann@example.com>\nCc: cc@example.com\n"
MESSAGE += b"Bcc: hidden@example.com\nSubject: hi\n\nline one\n.\nafter the dot\n"


Stored = list[tuple[bytes, Envelope]]


def stored(database: Path, *args: str, stdin: bytes = MESSAGE) -> tuple[int, str, Stored]:
    """Run ``pochta sendmail --database DATABASE ARGS`` in-process; return code, stderr, store."""
    result = CliRunner().invoke(
        main, ["sendmail", "--database", str(database), *args], input=stdin
    )
    if not database.exists():
        return result.exit_code, result.stderr, []
    with open_store(database) as store:
        messages = [(store.raw(s.id), s.envelope) for s in store.list_messages().messages]
    return result.exit_code, result.stderr, messages


def test_recipients_are_the_arguments_and_the_message_ends_at_a_dot_line(tmp_path: Path) -> None:
    code, _, messages = stored(tmp_path / "m.db", "-f", "Bounce <bounce@example.com>", "x@y.z")
    assert code == 0
    raw, envelope = messages[0]
    assert raw == (
        b"From: app@example.com\r\nTo: Ann <ann@example.com>\r\nCc: cc@example.com\r\n"
        b"Bcc: hidden@example.com\r\nSubject: hi\r\n\r\nline one\r\n"
    )
    assert envelope == Envelope("bounce@example.com", ("x@y.z",), source="sendmail")


@pytest.mark.parametrize("flag", [["-i"], ["-oi"], ["-t", "-i"], ["-ti"]])
def test_i_and_oi_read_past_a_dot_line(tmp_path: Path, flag: list[str]) -> None:
    code, _, messages = stored(tmp_path / "m.db", *flag, "x@y.z")
    assert code == 0
    assert messages[0][0].endswith(b"line one\r\n.\r\nafter the dot\r\n")


def test_t_adds_to_cc_and_bcc_to_the_arguments(tmp_path: Path) -> None:
    code, _, messages = stored(tmp_path / "m.db", "-t", "-i", "x@y.z", "ann@example.com")
    assert code == 0
    assert messages[0][1].rcpt_tos == (
        "x@y.z", "ann@example.com", "cc@example.com", "hidden@example.com"
    )  # fmt: skip
    assert b"Bcc: hidden@example.com\r\n" in messages[0][0]  # kept, as Mailpit keeps it


def test_no_arguments_read_the_headers_as_mailpit_does(tmp_path: Path) -> None:
    _, _, messages = stored(tmp_path / "m.db")
    assert messages[0][1].rcpt_tos == ("ann@example.com", "cc@example.com", "hidden@example.com")


def test_crons_local_names_and_ignored_options(tmp_path: Path) -> None:
    # What Debian's cron runs: sendmail -FCronDaemon -i -B8BITMIME -oem root
    args = ["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "-odi", "-v", "root"]
    code, _, messages = stored(tmp_path / "m.db", *args)
    assert code == 0
    host = socket.gethostname()
    assert messages[0][1].rcpt_tos == (f"root@{host}",)
    assert messages[0][1].mail_from.endswith(f"@{host}")


@pytest.mark.parametrize(
    ("args", "stdin", "code", "error"),
    [
        ([], b"Subject: nobody\n\nhi\n", 64, "no recipients: give them as arguments"),
        (["-f", "a@b.c\r\nRCPT TO:<x@y.z>", "x@y.z"], MESSAGE, 64, "a@b.c"),
        (["not an address <"], MESSAGE, 64, "Invalid address"),
        (["x@y.z"], b"", 65, "no message on standard input"),
        (["-bp"], MESSAGE, 64, "-bp is not supported"),
        (["-bs"], MESSAGE, 64, "-bs talks SMTP to a server"),
        (["-X", "x@y.z"], MESSAGE, 64, "No such option '-X'"),
        (["-S", "nowhere", "x@y.z"], MESSAGE, 64, "-S 'nowhere' is not HOST:PORT"),
    ],
)
def test_bad_input_is_refused_with_sendmails_codes_and_nothing_is_stored(
    tmp_path: Path, args: list[str], stdin: bytes, code: int, error: str
) -> None:
    got, stderr, messages = stored(tmp_path / "m.db", *args, stdin=stdin)
    assert (got, messages) == (code, [])
    assert error in stderr


def sendmail(*args: str, stdin: bytes = MESSAGE) -> subprocess.CompletedProcess[bytes]:
    """Run the ``pochta-sendmail`` script of this environment, as other programs do."""
    script = Path(sys.executable).with_name("pochta-sendmail")
    return subprocess.run(
        [str(script), *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def test_over_smtp_to_a_running_catcher(serve_process: ServeProcess) -> None:
    host, port = serve_process.smtp
    done = sendmail("-S", f"{host}:{port}", "-t", "-i", "-f", "app@example.com")
    assert (done.returncode, done.stderr) == (0, b"")
    message = serve_process.get("/api/v1/message/latest").json()
    assert message["Subject"] == "hi"
    assert [a["Address"] for a in message["Bcc"]] == ["hidden@example.com"]
    raw = serve_process.get("/api/v1/message/latest/raw").content
    assert raw.endswith(b"line one\r\n.\r\nafter the dot\r\n")


def test_sendmail_bs_speaks_smtp_through_to_the_catcher(serve_process: ServeProcess) -> None:
    host, port = serve_process.smtp
    dialogue = (
        b"EHLO me\r\nMAIL FROM:<bs@example.com>\r\nRCPT TO:<ann@example.com>\r\nDATA\r\n"
        b"Subject: over -bs\r\n\r\nhi\r\n.\r\nQUIT\r\n"
    )
    done = sendmail("-S", f"{host}:{port}", "-bs", stdin=dialogue)
    assert done.returncode == 0
    replies = done.stdout.split(b"\r\n")
    assert replies[0].startswith(b"220 ") and b"221 2.0.0 Bye" in done.stdout
    assert any(line.startswith(b"250 2.0.0 OK: queued as ") for line in replies)
    assert serve_process.get("/api/v1/message/latest").json()["Subject"] == "over -bs"


def test_no_catcher_is_exit_75_with_what_to_do(unused_port: int) -> None:
    done = sendmail("-S", f"127.0.0.1:{unused_port}", "x@y.z")
    assert done.returncode == 75
    assert b"start `pochta serve`, or give -S HOST:PORT" in done.stderr


def test_a_refused_message_quotes_the_reply_and_a_starttls_catcher_is_served(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    server = launch_serve("--max-message-size", "100", "--smtp-require-starttls")
    host, port = server.smtp
    done = sendmail("-S", f"{host}:{port}", "x@y.z", stdin=b"Subject: big\n\n" + b"x" * 200)
    assert done.returncode == 65
    assert b"answered 552 5.3.4" in done.stderr
    small = sendmail("-S", f"{host}:{port}", "x@y.z", stdin=b"Subject: small\n\nok\n")
    assert small.returncode == 0, small.stderr
    assert server.get("/api/v1/message/latest").json()["Subject"] == "small"


@pytest.fixture
def unused_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sendmail_and_its_script_share_one_help() -> None:
    help_text = CliRunner().invoke(main, ["sendmail", "--help"]).output
    assert "-S, --smtp-addr HOST:PORT" in help_text and "POCHTA_SENDMAIL_SMTP_ADDR" in help_text
    script = sendmail("--help")
    assert script.returncode == 0
    assert script.stdout.startswith(b"Usage: pochta-sendmail [OPTIONS] [RECIPIENT]...")


def test_docs_show_the_current_help() -> None:
    shown = CliRunner().invoke(main, ["sendmail", "--help"], prog_name="pochta", terminal_width=80)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")
    assert f"```text\n{shown.output}```" in docs
