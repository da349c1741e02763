"""``pochta serve`` with Mailpit's relay, forward and SMTP options, and an aiosmtpd upstream."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ServeProcess
from tests.mail.smtp_peer import SMTPServer, free_port

Launch = Callable[..., ServeProcess]


def message(message_id: str, to: str = "ann@example.com") -> bytes:
    return (
        f"From: app@example.com\r\nTo: {to}\r\nSubject: Hello\r\n"
        f"Message-ID: <{message_id}>\r\n\r\nHi\r\n"
    ).encode()


def send(served: ServeProcess, raw: bytes, to: list[str]) -> tuple[int, bytes]:
    """Send over SMTP; return the reply to the end of DATA."""
    with smtplib.SMTP(*served.smtp, timeout=30) as client:
        client.ehlo()
        client.mail("app@example.com")
        for address in to:
            client.rcpt(address)
        return client.data(raw)


def config(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_every_message_is_relayed_and_forwarded_and_duplicates_are_dropped(
    launch_serve: Launch, upstream: SMTPServer, tmp_path: Path
) -> None:
    relay = config(
        tmp_path,
        "relay.yaml",
        f"host: 127.0.0.1\nport: {upstream.port}\nblocked-recipients: '^blocked@'\n"
        "allowed-recipients: '@example\\.com$'\n",
    )
    forward = config(
        tmp_path, "fwd.yaml", f"to: ops@example.net\nhost: 127.0.0.1\nport: {upstream.port}\n"
    )
    served = launch_serve(
        "--smtp-relay-config", relay, "--smtp-relay-all", "--smtp-forward-config", forward,
        "--label", "  Team   mail ", "--ignore-duplicate-ids",
    )  # fmt: skip

    first = send(served, message("one@example.com"), ["ann@example.com", "blocked@example.com"])
    again = send(served, message("one@example.com"), ["ann@example.com"])
    sent = served.request(
        "POST",
        "/api/v1/send",
        json={"From": {"Email": "api@example.com"}, "To": [{"Email": "bob@example.com"}]},
    )

    assert first[0] == 250 and b"queued as" in first[1]
    assert again == (250, b"2.0.0 OK: queued")
    assert sent.status_code == 200
    assert [(e.mail_from, e.rcpt_tos) for e in upstream.envelopes] == [
        ("app@example.com", ["ann@example.com"]),
        ("app@example.com", ["ops@example.net"]),
        ("api@example.com", ["bob@example.com"]),
        ("api@example.com", ["ops@example.net"]),
    ]
    assert upstream.envelopes[0].original_content.startswith(b"From: app@example.com\r\n")
    assert served.get("/api/v1/messages").json()["total"] == 2
    assert served.get("/api/v1/webui").json() == {
        "Label": "Team mail",
        "MessageRelay": {
            "Enabled": True,
            "SMTPServer": f"127.0.0.1:{upstream.port}",
            "ReturnPath": "",
            "AllowedRecipients": "@example\\.com$",
            "BlockedRecipients": "^blocked@",
            "OverrideFrom": "",
            "PreserveMessageIDs": False,
            "RecipientAllowlist": "@example\\.com$",
        },
        "SpamAssassin": False,
        "ChaosEnabled": False,
        "DuplicatesIgnored": True,
        "HideDeleteAllButton": False,
    }


def test_forward_smtp_errors_answers_with_the_upstreams_refusal_and_keeps_nothing(
    launch_serve: Launch, upstream: SMTPServer, tmp_path: Path
) -> None:
    relay = config(
        tmp_path,
        "relay.yaml",
        f"host: 127.0.0.1\nport: {upstream.port}\nforward-smtp-errors: true\n",
    )
    served = launch_serve("--smtp-relay-config", relay, "--smtp-relay-matching", "^nobody@")

    refused = send(served, message("two@example.com"), ["nobody@example.com", "ann@example.com"])
    passed = send(served, message("three@example.com"), ["ann@example.com"])

    assert refused == (550, b"5.1.1 No such user")
    assert passed[0] == 250
    assert upstream.envelopes == []
    assert served.get("/api/v1/messages").json()["total"] == 1


@pytest.mark.parametrize("forward_errors", [True, False])
def test_an_upstream_that_is_down(
    launch_serve: Launch, tmp_path: Path, forward_errors: bool
) -> None:
    relay = config(
        tmp_path,
        "relay.yaml",
        f"host: 127.0.0.1\nport: {free_port()}\n"
        f"forward-smtp-errors: {str(forward_errors).lower()}\n",
    )
    served = launch_serve("--smtp-relay-config", relay, "--smtp-relay-all")

    code, text = send(served, message("four@example.com"), ["ann@example.com"])
    total = served.get("/api/v1/messages").json()["total"]
    served.stop()

    if forward_errors:
        assert (code, text, total) == (451, b"4.3.5 Unable to process mail", 0)
    else:
        assert (code, total) == (250, 1)
    assert "relay of a message from <app@example.com> failed" in served.stderr() or forward_errors
    assert "Connection refused" in served.stderr()


def test_allowed_recipients_refuse_or_quietly_drop(launch_serve: Launch) -> None:
    strict = launch_serve("--smtp-allowed-recipients", "@example\\.com$")
    quiet = launch_serve(
        "--smtp-allowed-recipients", "@example\\.com$", "--smtp-ignore-rejected-recipients",
        database=None, env={"POCHTA_TEMP": "1"},
    )  # fmt: skip

    with smtplib.SMTP(*strict.smtp) as client:
        client.ehlo()
        client.mail("app@example.com")
        assert client.rcpt("eve@evil.test") == (
            550,
            b"5.1.0 Requested action not taken: mailbox unavailable",
        )
        assert client.rcpt("ann@example.com")[0] == 250
    dropped = send(quiet, message("five@example.com"), ["eve@evil.test"])
    kept = send(quiet, message("six@example.com"), ["eve@evil.test", "ann@example.com"])

    assert dropped == (250, b"2.0.0 OK: queued")
    assert kept[0] == 250
    [summary] = quiet.get("/api/v1/messages").json()["messages"]
    assert summary["MessageID"] == "six@example.com"
    assert summary["Bcc"] == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--smtp-relay-all"], "a relay configuration must be set to auto-relay"),
        (["--smtp-relay-config", "{missing}"], "configuration not found or readable"),
        (["--smtp-relay-config", "{bad}"], "unknown key 'hots'"),
        (["--smtp-relay-matching", "("], "is not a regular expression"),
        (["--webhook-url", "ftp://x"], "does not appear to be a valid URL"),
        (["--tag", "no-equals-sign"], "[tag] error parsing tags (no-equals-sign)"),
    ],
)
def test_bad_settings_stop_pochta_serve_with_the_fix(
    launch_serve: Launch, tmp_path: Path, args: list[str], error: str
) -> None:
    bad = config(tmp_path, "bad.yaml", "hots: typo\n")
    filled = [a.format(missing=tmp_path / "missing.yaml", bad=bad) for a in args]

    with pytest.raises(RuntimeError) as started:
        launch_serve(*filled)

    assert error in str(started.value)
