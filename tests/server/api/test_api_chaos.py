"""``/api/v1/chaos`` and ``/api/v1/chaos/rules`` on a real ``pochta serve`` process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ServeProcess

DEFAULTS = {
    "Sender": {"ErrorCode": 451, "Probability": 0},
    "Recipient": {"ErrorCode": 451, "Probability": 0},
    "Authentication": {"ErrorCode": 535, "Probability": 0},
}


@pytest.fixture(scope="module")
def chaotic(tmp_path_factory: pytest.TempPathFactory) -> object:
    from tests.conftest import start_serve

    served = start_serve(
        tmp_path_factory.mktemp("chaos") / "mail.db",
        "--chaos-triggers",
        "Recipient:452:5",
        "--chaos-seed",
        "99",
    )
    yield served
    served.stop()


def test_get_answers_mailpits_shape(chaotic: ServeProcess) -> None:
    answer = chaotic.get("/api/v1/chaos")
    assert answer.status_code == 200
    assert answer.json() == {**DEFAULTS, "Recipient": {"ErrorCode": 452, "Probability": 5}}


def test_put_sets_triggers_and_resets_the_ones_left_out(chaotic: ServeProcess) -> None:
    body = {"Sender": {"ErrorCode": 421, "Probability": 10}}
    assert chaotic.request("PUT", "/api/v1/chaos", json=body).json() == {**DEFAULTS, **body}
    assert chaotic.request("PUT", "/api/v1/chaos", json={}).json() == DEFAULTS
    assert chaotic.get("/api/v1/chaos").json() == DEFAULTS


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"Sender": {"ErrorCode": 200, "Probability": 10}},
            "error code must be between 400 and 599",
        ),
        (
            {"Sender": {"ErrorCode": 451, "Probability": 101}},
            "probability must be between 0 and 100",
        ),
        (b"", "EOF"),
        (b"{not json", "request body is not JSON"),
    ],
)
def test_put_refuses_bad_triggers_and_keeps_the_old_ones(
    chaotic: ServeProcess, body: object, error: str
) -> None:
    kept = chaotic.get("/api/v1/chaos").json()
    given = {"content": body} if isinstance(body, bytes) else {"json": body}
    answer = chaotic.request("PUT", "/api/v1/chaos", **given)
    assert answer.status_code == 400
    assert answer.json()["Error"].startswith(error)
    assert chaotic.get("/api/v1/chaos").json() == kept


def test_rules_are_set_and_read_back_with_their_seed(chaotic: ServeProcess) -> None:
    assert chaotic.get("/api/v1/chaos/rules").json() == {"seed": 99, "rules": []}
    rules = {
        "seed": 5,
        "rules": [{"stage": "rcpt", "recipient": "fail@*", "reply": "550 5.1.1 No"}],
    }
    assert chaotic.request("PUT", "/api/v1/chaos/rules", json=rules).json() == rules
    bad = chaotic.request("PUT", "/api/v1/chaos/rules", json={"rules": [{"stage": "rcpt"}]})
    assert (bad.status_code, bad.json()["Error"]) == (
        400,
        "chaos rule 1 does nothing; give a reply, a delay or close",
    )
    assert chaotic.get("/api/v1/chaos/rules").json() == rules


def test_webui_and_inbox_show_chaos_is_on(chaotic: ServeProcess) -> None:
    assert chaotic.get("/api/v1/webui").json()["ChaosEnabled"] is True
    assert "Chaos on" in chaotic.get("/").text


def test_without_chaos_the_routes_say_it_is_not_enabled(serve_process: ServeProcess) -> None:
    for method, path in [
        ("GET", "/api/v1/chaos"),
        ("PUT", "/api/v1/chaos"),
        ("GET", "/api/v1/chaos/rules"),
    ]:
        answer = serve_process.request(method, path, json={})
        assert (answer.status_code, answer.json()) == (400, {"Error": "Chaos is not enabled"})
    assert serve_process.get("/api/v1/webui").json()["ChaosEnabled"] is False
    assert "Chaos on" not in serve_process.get("/").text


def test_a_bad_trigger_or_rules_file_stops_serve_with_the_reason(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('{"rules": [{"stage": "rcpt", "reply": "hello"}]}')
    for flag, value, reason in [
        ("--chaos-triggers", "Sender:451", "[chaos] invalid argument: Sender:451"),
        ("--chaos-rules", str(rules), "chaos rule 1: reply 'hello' must be an SMTP error"),
        ("--chaos-rules", str(tmp_path / "missing.json"), "cannot read it"),
    ]:
        command = [sys.executable, "-m", "pochta", "serve", "--temp", "--smtp", "127.0.0.1:0"]
        command += ["--listen", "127.0.0.1:0", flag, value]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert reason in done.stderr


def test_enable_chaos_alone_starts_with_every_trigger_off(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    served = launch_serve("--enable-chaos")
    assert served.get("/api/v1/chaos").json() == DEFAULTS
