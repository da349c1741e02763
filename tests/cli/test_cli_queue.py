"""``pochta queue``: counts, list, retry and purge, in text and JSON, on a real queue file.

The file's messages are put in their states through the queue's own API
(enqueue, claim, settle), as the worker would leave them: one sent, one
pending that went three ways (sent, refused with a 451, refused with a
550), one failed, one not tried yet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pochta.cli import main
from pochta.mail.queue import Outcome, State, open_queue
from pochta.mail.submission import Submission

BUSY = "451 4.2.1 Mailbox busy, try later"
NOBODY = "550 5.1.1 No such user"


def submission(number: int, *rcpt_tos: str) -> Submission:
    content = b"Message-ID: <%d@app>\r\nSubject: n\r\n\r\nBody\r\n" % number
    return Submission("app@example.com", list(rcpt_tos), content)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "queue.db"
    with open_queue(path) as queue:
        queue.enqueue(
            [
                submission(1, "ann@example.com"),
                submission(2, "bob@example.com", "busy@example.com", "nobody@example.com"),
                submission(3, "carol@example.com"),
                submission(4, "dan@example.com"),
            ],
            backend="smtp",
            max_attempts=8,
        )
        outcomes = [
            Outcome(sent=("ann@example.com",)),
            Outcome(
                sent=("bob@example.com",),
                retry={"busy@example.com": BUSY},
                failed={"nobody@example.com": NOBODY},
            ),
            Outcome(failed={"carol@example.com": NOBODY}),
        ]
        for outcome in outcomes:
            claim = queue.claim("host:1:w", lease=60)
            assert claim is not None
            queue.settle(claim, outcome, delay=3600)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), prog_name="pochta")
    return result.exit_code, result.stdout, result.stderr


def test_counts_by_state_in_text_and_json(path: Path) -> None:
    assert run("queue", "--queue", str(path)) == (
        0,
        "pending  2\nsending  0\nsent     1\nfailed   1\n",
        "",
    )
    code, out, _ = run("queue", "--queue", str(path), "--json")
    assert (code, json.loads(out)) == (0, {"pending": 2, "sending": 0, "sent": 1, "failed": 1})


def test_list_shows_each_recipient_of_a_message_that_went_three_ways(path: Path) -> None:
    code, out, _ = run("queue", "--queue", str(path), "list")
    shown = re.sub(r"next \d\d:\d\d:\d\d", "next HH:MM:SS", out)
    assert (code, shown) == (
        0,
        "     2 pending  1/8 next HH:MM:SS app@example.com -> "
        "bob@example.com,busy@example.com,nobody@example.com\n"
        "       sent     bob@example.com (attempt 1)\n"
        f"       pending  busy@example.com (attempt 1): {BUSY}\n"
        f"       failed   nobody@example.com (attempt 1): {NOBODY}\n"
        "     3 failed   1/8 next - app@example.com -> carol@example.com\n"
        f"       <carol@example.com>: {NOBODY}\n"
        "     4 pending  0/8 next HH:MM:SS app@example.com -> dan@example.com\n",
    )


def test_list_json_has_the_recipients_and_their_replies(path: Path) -> None:
    code, out, _ = run("queue", "--queue", str(path), "list", "--state", "failed", "--json")
    [failed] = json.loads(out)
    assert code == 0
    assert {
        k: failed[k] for k in ("id", "message_id", "to", "state", "attempts", "last_error")
    } == {
        "id": 3,
        "message_id": "<3@app>",
        "to": ["carol@example.com"],
        "state": "failed",
        "attempts": 1,
        "last_error": f"<carol@example.com>: {NOBODY}",
    }
    assert failed["recipients"] == [
        {"address": "carol@example.com", "state": "failed", "attempt": 1, "reply": NOBODY}
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", failed["queued_at"])


def test_retry_makes_failed_messages_pending_again(path: Path) -> None:
    assert run("queue", "--queue", str(path), "retry", "3") == (0, "retried 1 message(s)\n", "")
    code, out, _ = run("queue", "--queue", str(path), "retry", "--all", "--json")
    assert (code, json.loads(out)) == (0, {"retried": 0})
    with open_queue(path) as queue:
        retried = queue.get(3)
    assert retried is not None
    assert (retried.state, retried.attempts, retried.pending_to) == (
        State.PENDING,
        0,
        ["carol@example.com"],
    )


def test_retry_needs_ids_or_all_but_not_both(path: Path) -> None:
    for args in ([], ["3", "--all"]):
        code, _, err = run("queue", "--queue", str(path), "retry", *args)
        assert (code, err.splitlines()[-1]) == (
            2,
            "Error: give the ids of failed messages, or --all",
        )
    code, _, err = run("queue", "--queue", str(path), "retry", "three")
    assert code == 2 and "'three' is not a valid integer" in err


def test_purge_deletes_sent_then_failed_messages(path: Path) -> None:
    assert run("queue", "--queue", str(path), "purge") == (0, "purged 1 message(s)\n", "")
    code, out, _ = run("queue", "--queue", str(path), "purge", "--state", "failed", "--json")
    assert (code, json.loads(out)) == (0, {"purged": 1})
    code, out, _ = run("queue", "--queue", str(path), "--json")
    assert json.loads(out) == {"pending": 2, "sending": 0, "sent": 0, "failed": 0}
    code, _, err = run("queue", "--queue", str(path), "purge", "--state", "pending")
    assert code == 2 and "'pending' is not one of 'sent', 'failed'" in err


def test_a_missing_or_foreign_file_is_a_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    assert run("queue", "--queue", str(missing)) == (
        1,
        "",
        f"Error: no queue at {missing}; give --queue PATH or set EMAIL_QUEUE_PATH\n",
    )
    assert not missing.exists()
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a queue\n" * 200)
    code, _, err = run("queue", "--queue", str(foreign), "list")
    assert code == 1
    assert err.startswith(f"Error: EMAIL_QUEUE_PATH '{foreign}' is not a pochta queue (")
    assert foreign.read_text() == "not a queue\n" * 200


def test_the_queue_path_setting_is_the_default(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMAIL_QUEUE_PATH", str(path))
    code, out, _ = run("queue", "--json")
    assert (code, json.loads(out)["sent"]) == (0, 1)


@pytest.mark.parametrize("command", [[], ["list"], ["retry"], ["purge"]])
def test_docs_show_the_current_help(command: list[str]) -> None:
    shown = CliRunner().invoke(
        main, ["queue", *command, "--help"], prog_name="pochta", terminal_width=80
    )
    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")
    assert f"```text\n{shown.output}```" in docs
