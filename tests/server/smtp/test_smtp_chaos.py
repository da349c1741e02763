"""Chaos in pochta's SMTP server, driven with smtplib: Mailpit's triggers and pochta's rules."""

from __future__ import annotations

import smtplib
import socket

import pytest

from pochta.exceptions import ConfigurationError
from pochta.server.smtp.chaos import Chaos
from pochta.server.smtp.rule import Rules, parse_rules
from pochta.server.smtp.server import SMTPSettings
from pochta.server.smtp.trigger import Trigger, Triggers, parse_triggers, triggers_from_json
from tests.server.smtp.smtp_harness import Recorder, serve

MESSAGE = b"Subject: chaos\r\nMessage-ID: <c@example.com>\r\n\r\nbody\r\n"


def chaos(*rules: dict[str, object], seed: int = 1, triggers: Triggers | None = None) -> Chaos:
    made = Chaos(enabled=True, triggers=triggers or Triggers())
    made.set_rules(parse_rules({"seed": seed, "rules": list(rules)}))
    return made


def outcome(port: int, sender: str, recipient: str, timeout: float = 10) -> str:
    """Send one message on a new connection; say what happened as the client saw it."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=timeout) as client:
            client.sendmail(sender, [recipient], MESSAGE)
    except smtplib.SMTPRecipientsRefused as error:
        [(code, text)] = error.recipients.values()
        return f"{code} {text.decode()}"
    except smtplib.SMTPResponseException as error:
        reply: bytes | str = error.smtp_error
        return f"{error.smtp_code} {reply.decode() if isinstance(reply, bytes) else reply}"
    except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
        # smtplib reports its own timeout as a closed connection, "...: timed out"
        return "no reply in time" if "timed out" in str(error) else "closed"
    return "250"


def test_recipient_and_sender_patterns_answer_their_replies() -> None:
    rules = chaos(
        {"recipient": "fail@*", "reply": "550 5.1.1 No such user"},
        {"sender": "*@flaky.example", "reply": "451 4.3.0 Sender refused for now"},
    )
    with serve(SMTPSettings(chaos=rules)) as server:
        results = [
            outcome(server.port, "a@example.com", "fail@example.com"),
            outcome(server.port, "a@example.com", "FAIL@Example.com"),
            outcome(server.port, "b@flaky.example", "ok@example.com"),
            outcome(server.port, "a@example.com", "ok@example.com"),
        ]
        stored = len(server.deliver.messages)  # type: ignore[attr-defined]
    assert results == [
        "550 5.1.1 No such user",
        "550 5.1.1 No such user",
        "451 4.3.0 Sender refused for now",
        "250",
    ]
    assert stored == 1


def test_every_nth_message_is_refused_after_its_data() -> None:
    rules = chaos({"stage": "data", "every": 3, "reply": "452 4.3.1 Come back later"})
    with serve(SMTPSettings(chaos=rules)) as server:
        results = [outcome(server.port, "a@example.com", "b@example.com") for _ in range(6)]
        stored = len(server.deliver.messages)  # type: ignore[attr-defined]
    assert results == ["250", "250", "452 4.3.1 Come back later"] * 2
    assert stored == 4


def test_close_mid_data_stores_nothing_and_the_next_connection_works() -> None:
    rules = chaos({"stage": "data", "recipient": "drop@*", "close": True})
    with serve(SMTPSettings(chaos=rules)) as server:
        dropped = outcome(server.port, "a@example.com", "drop@example.com")
        after = outcome(server.port, "a@example.com", "ok@example.com")
        stored = server.deliver.messages  # type: ignore[attr-defined]
    assert dropped == "closed"
    assert (after, [raw for raw, _ in stored]) == ("250", [MESSAGE])


def test_a_delayed_reply_outlasts_a_short_client_timeout() -> None:
    rules = chaos({"recipient": "slow@*", "delay": 3})
    with serve(SMTPSettings(chaos=rules)) as server:
        assert outcome(server.port, "a@example.com", "slow@example.com", timeout=0.3) == (
            "no reply in time"
        )
        assert outcome(server.port, "a@example.com", "ok@example.com", timeout=0.3) == "250"


def test_a_delay_before_every_reply_keeps_pipelined_replies_in_order() -> None:
    rules = chaos({"delay": 0.01})
    with (
        serve(SMTPSettings(chaos=rules)) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
    ):
        raw.recv(1024)
        raw.sendall(b"EHLO t\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nRSET\r\n")
        received = b""
        while not received.endswith(b"250 2.0.0 OK\r\n"):
            chunk = raw.recv(4096)
            assert chunk, received
            received += chunk
    finals = [line for line in received.split(b"\r\n") if line[3:4] == b" "]
    assert finals == [
        b"250 ENHANCEDSTATUSCODES",
        b"250 2.1.0 OK",
        b"250 2.1.5 OK",
        b"250 2.0.0 OK",
    ]


def test_the_same_seed_fails_the_same_recipients() -> None:
    rule = {"stage": "rcpt", "probability": 50, "reply": "451 4.7.1 Try again later"}
    runs = []
    for _ in range(2):
        with serve(SMTPSettings(chaos=chaos(rule, seed=42))) as server:
            runs.append([outcome(server.port, "a@x.test", f"u{n}@x.test") for n in range(16)])
    assert runs[0] == runs[1]
    assert {"250", "451 4.7.1 Try again later"} == set(runs[0])


def test_mailpit_triggers_answer_mailpits_text() -> None:
    triggers = Triggers(sender=Trigger(451, 100))
    with serve(SMTPSettings(chaos=chaos(triggers=triggers))) as server:
        assert outcome(server.port, "a@x.test", "b@x.test") == "451 Chaos sender error"
    triggers = Triggers(recipient=Trigger(550, 100))
    with serve(SMTPSettings(chaos=chaos(triggers=triggers))) as server:
        assert outcome(server.port, "a@x.test", "b@x.test") == "550 Chaos recipient error"


def test_chaos_turned_off_changes_nothing() -> None:
    off = Chaos(enabled=False, triggers=Triggers(sender=Trigger(451, 100)))
    with serve(SMTPSettings(chaos=off), Recorder()) as server:
        assert outcome(server.port, "a@x.test", "b@x.test") == "250"


def test_mailpit_trigger_text_is_read_as_mailpit_reads_it() -> None:
    assert parse_triggers("Sender:451:50, Recipients:452:5,auth:535:100") == Triggers(
        Trigger(451, 50), Trigger(452, 5), Trigger(535, 100)
    )
    for text, error in [
        ("x", "invalid argument: x"),
        ("foo:451:5", "unknown key foo"),
        ("Sender:351:5", "error code must be between 400 and 599"),
        ("Sender:451:101", "probability must be between 0 and 100"),
        ("Sender:451:5.5", 'strconv.Atoi: parsing "5.5": invalid syntax'),
    ]:
        with pytest.raises(ConfigurationError) as raised:
            parse_triggers(text)
        assert str(raised.value) == error


def test_a_put_body_resets_what_it_leaves_out() -> None:
    assert triggers_from_json({"Recipient": {"ErrorCode": 452, "Probability": 9}}) == Triggers(
        recipient=Trigger(452, 9)
    )
    assert triggers_from_json({"Sender": {"ErrorCode": 0, "Probability": 50}}) == Triggers()
    assert triggers_from_json({}) == Triggers()


@pytest.mark.parametrize(
    ("rules", "error"),
    [
        ([{"recipient": "x@*"}], "chaos rule 1 does nothing"),
        ([{"delay": 1}, {"stage": "bogus", "delay": 1}], "chaos rule 2: stage 'bogus'"),
        ([{"reply": "250 OK", "stage": "rcpt"}], "must be an SMTP error on one line"),
        ([{"reply": "451 a\r\nRSET", "stage": "rcpt"}], "must be an SMTP error on one line"),
        ([{"close": True}], "'any' only delays"),
        ([{"delay": 10_000}], "delay 10000 must be a number from 0 to 600"),
        ([{"dealy": 1}], "unknown field 'dealy'"),
        ([{"stage": "data", "every": 0, "close": True}], "every 0 must be a number"),
        ("rules", "must be a JSON object"),
    ],
)
def test_bad_rules_are_refused_with_the_rule_and_the_fix(rules: object, error: str) -> None:
    with pytest.raises(ConfigurationError, match=error.replace("(", r"\(")):
        parse_rules(rules if rules == "rules" else {"rules": rules})


def test_rules_read_back_as_written() -> None:
    document = {
        "seed": 7,
        "rules": [
            {"stage": "rcpt", "recipient": "fail@*", "reply": "550 5.1.1 No such user"},
            {"stage": "data", "every": 10, "probability": 50, "close": True},
            {"stage": "any", "delay": 0.5},
        ],
    }
    assert parse_rules(document).as_json() == document
    assert Rules().as_json() == {"seed": None, "rules": []}
