"""``POST /api/v1/message/{ID}/release`` against real aiosmtpd upstreams."""

from __future__ import annotations

import email
import hmac
import re
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import httpx
import pytest
import trustme

from pochta.message.envelope import Envelope
from pochta.server.api.feature import Features
from pochta.server.relay.config import RelayConfig, Upstream
from pochta.server.routes import create_app
from pochta.store import Store
from tests.mail.smtp_peer import RecordingHandler, SMTPServer, free_port
from tests.server.relay.conftest import PASSWORD, USER

pytestmark = pytest.mark.anyio

RAW = (
    b"From: App <app@example.com>\r\n"
    b"To: ann@example.com\r\n"
    b"Bcc: hidden@example.com,\r\n  also-hidden@example.com\r\n"
    b"Subject: Reset your password\r\n"
    b"Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
    b"Message-ID: <reset-1@example.com>\r\n"
    b"\r\n"
    b"Follow the link.\r\nBcc: this line is body text\r\n"
)

Release = Callable[..., Any]


@pytest.fixture
async def release(api_store: Store) -> AsyncIterator[Callable[..., Any]]:
    """Return ``release(relay, to, id=None)``: the answer of the route for a stored RAW."""
    message_id = api_store.add(RAW, Envelope("app@example.com", ("ann@example.com",)))

    async def call(relay: RelayConfig | None, body: Any, id: str = message_id) -> httpx.Response:
        app = create_app(api_store, features=Features(relay=relay))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8025") as c:
            kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
            return await c.post(f"/api/v1/message/{id}/release", **kwargs)

    yield call


def relay_to(server: SMTPServer | None = None, **options: Any) -> RelayConfig:
    upstream_keys = set(Upstream.__dataclass_fields__)
    upstream = Upstream(
        host="127.0.0.1",
        port=server.port if server else free_port(),
        **{k: v for k, v in options.items() if k in upstream_keys},
    )
    return RelayConfig(upstream, **{k: v for k, v in options.items() if k not in upstream_keys})


def received(server: SMTPServer) -> list[tuple[str, list[str], EmailMessage]]:
    return [
        (
            e.mail_from,
            e.rcpt_tos,
            email.message_from_bytes(e.original_content, policy=SMTP),
        )
        for e in server.envelopes
    ]


async def test_release_sends_the_message_without_bcc_with_a_new_date_and_id(
    release: Release, upstream: SMTPServer
) -> None:
    answer = await release(relay_to(upstream), {"To": ["Bob <bob@example.org>"]})

    assert (answer.status_code, answer.text) == (200, "ok")
    [(sender, rcpts, message)] = received(upstream)
    assert (sender, rcpts) == ("app@example.com", ["bob@example.org"])
    assert message["Bcc"] is None
    assert message["Subject"] == "Reset your password"
    assert re.fullmatch(r"<[0-9A-Za-z]{22}@pochta>", message["Message-ID"])
    assert message["Date"] != "Mon, 01 Jan 2024 00:00:00 +0000"
    assert message.get_content().endswith("Bcc: this line is body text\r\n")


async def test_release_keeps_ids_sets_return_path_and_overrides_from(
    release: Release, upstream: SMTPServer
) -> None:
    relay = relay_to(
        upstream,
        preserve_message_ids=True,
        return_path="bounces@example.net",
        override_from="relay@example.net",
    )
    answer = await release(relay, {"to": ["bob@example.org"]})

    assert answer.text == "ok"
    [(sender, _, message)] = received(upstream)
    assert sender == "relay@example.net"
    assert message["Message-ID"] == "<reset-1@example.com>"
    assert message["Return-Path"] == "<bounces@example.net>"
    assert (message["From"], message["X-Original-From"]) == (
        "App <relay@example.net>",
        "app@example.com",
    )


async def test_release_over_starttls_with_auth(
    release: Release, starttls_upstream: SMTPServer, trust_relay_ca: None
) -> None:
    for auth in ("plain", "login"):
        relay = relay_to(
            starttls_upstream, starttls=True, auth=auth, username=USER, password=PASSWORD
        )
        answer = await release(relay, {"To": [f"{auth}@example.org"]})
        assert (answer.status_code, answer.text) == (200, "ok")
    assert [rcpts for _, rcpts, _ in received(starttls_upstream)] == [
        ["plain@example.org"],
        ["login@example.org"],
    ]


async def test_release_refuses_an_untrusted_certificate_unless_allow_insecure(
    release: Release, starttls_upstream: SMTPServer
) -> None:
    login = {"auth": "plain", "username": USER, "password": PASSWORD}
    refused = await release(
        relay_to(starttls_upstream, starttls=True, **login), {"To": ["a@b.org"]}
    )
    insecure = relay_to(starttls_upstream, starttls=True, allow_insecure=True, **login)
    allowed = await release(insecure, {"To": ["a@b.org"]})

    assert refused.status_code == 400
    assert "SMTP error" in refused.json()["Error"]
    assert "CERTIFICATE_VERIFY_FAILED" in refused.json()["Error"]
    assert allowed.text == "ok"
    assert len(starttls_upstream.envelopes) == 1


async def test_release_answers_the_upstreams_reply_to_a_wrong_password(
    release: Release, starttls_upstream: SMTPServer, trust_relay_ca: None
) -> None:
    relay = relay_to(starttls_upstream, starttls=True, auth="plain", username=USER, password="x")
    answer = await release(relay, {"To": ["a@b.org"]})

    assert answer.status_code == 400
    assert answer.json()["Error"].startswith("SMTP error: 127.0.0.1:")
    assert "535" in answer.json()["Error"]
    assert starttls_upstream.envelopes == []


async def test_a_refused_recipient_is_skipped_and_all_refused_is_an_error(
    release: Release, upstream: SMTPServer
) -> None:
    partly = await release(relay_to(upstream), {"To": ["nobody@example.org", "bob@example.org"]})
    wholly = await release(relay_to(upstream), {"To": ["nobody@example.org"]})

    assert partly.text == "ok"
    assert [rcpts for _, rcpts, _ in received(upstream)] == [["bob@example.org"]]
    assert wholly.status_code == 400
    assert "550 5.1.1 No such user" in wholly.json()["Error"]


async def test_a_refused_recipient_fails_the_release_with_forward_smtp_errors(
    release: Release, upstream: SMTPServer
) -> None:
    relay = relay_to(upstream, forward_smtp_errors=True)
    answer = await release(relay, {"To": ["nobody@example.org", "bob@example.org"]})

    assert answer.status_code == 400
    assert "550 5.1.1 No such user" in answer.json()["Error"]
    assert upstream.envelopes == []


async def test_the_allowlist_and_blocklist_refuse_before_anything_is_sent(
    release: Release, upstream: SMTPServer
) -> None:
    relay = relay_to(
        upstream,
        allowed_recipients=re.compile(r"@example\.org$"),
        blocked_recipients=re.compile(r"^boss@"),
    )
    outside = await release(relay, {"To": ["bob@example.org", "eve@evil.test", "x@evil.test"]})
    blocked = await release(relay, {"To": ["boss@example.org"]})

    assert outside.json()["Error"] == (
        "Failed: 2 Addresses do not match the allowlist: eve@evil.test, x@evil.test"
    )
    assert blocked.json()["Error"] == "Failed: 1 Address found on blocklist: boss@example.org"
    assert (outside.status_code, blocked.status_code) == (400, 400)
    assert upstream.envelopes == []


async def test_the_upstream_down_is_a_400_that_says_so(release: Release) -> None:
    answer = await release(relay_to(None), {"To": ["bob@example.org"]})

    assert answer.status_code == 400
    assert re.fullmatch(
        r"SMTP error: error connecting to 127\.0\.0\.1:\d+: Connection refused",
        answer.json()["Error"],
    )


async def test_without_a_relay_nothing_leaves(release: Release) -> None:
    answer = await release(None, {"To": ["bob@example.org"]})

    assert answer.status_code == 400
    assert "--smtp-relay-config" in answer.json()["Error"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", 'the request body is empty; send {"To": ["user@example.com"]}'),
        (b"{not json", None),
        (b"[1]", 'the request body must be an object: {"To": [...]}'),
        ({"To": "bob@example.org"}, 'To must be an array of addresses: {"To": ["a@example.com"]}'),
        ({"To": []}, "No valid addresses found"),
        ({"To": ["not an address"]}, "Invalid email address: not an address"),
        (
            {"To": ["a@b.org\r\nRCPT TO:<x@y.org>"]},
            "Invalid email address: a@b.org\r\nRCPT TO:<x@y.org>",
        ),
    ],
)
async def test_bad_bodies_are_400_and_send_nothing(
    release: Release, upstream: SMTPServer, body: Any, error: str | None
) -> None:
    answer = await release(relay_to(upstream), body)

    assert answer.status_code == 400
    if error is not None:
        assert answer.json()["Error"] == error
    assert upstream.envelopes == []


async def test_latest_is_released_and_an_unknown_id_is_404(
    release: Release, upstream: SMTPServer
) -> None:
    latest = await release(relay_to(upstream), {"To": ["bob@example.org"]}, id="latest")
    unknown = await release(relay_to(upstream), {"To": ["bob@example.org"]}, id="NoSuchMessage")

    assert (latest.status_code, unknown.status_code) == (200, 404)
    assert len(upstream.envelopes) == 1


async def test_the_sender_header_is_the_envelope_sender(
    release: Release, upstream: SMTPServer, api_store: Store
) -> None:
    raw = RAW.replace(b"Subject:", b"Sender: Mailer <mailer@example.net>\r\nSubject:")
    message_id = api_store.add(raw, Envelope("app@example.com", ("ann@example.com",)))

    answer = await release(relay_to(upstream), {"To": ["bob@example.org"]}, id=message_id)

    assert answer.text == "ok"
    assert [sender for sender, _, _ in received(upstream)] == ["mailer@example.net"]


async def test_a_message_without_from_is_a_400_and_nothing_is_sent(
    release: Release, upstream: SMTPServer, api_store: Store
) -> None:
    raw = b"To: ann@example.com\r\nSubject: No sender\r\n\r\nHi\r\n"
    message_id = api_store.add(raw, Envelope("app@example.com", ("ann@example.com",)))

    answer = await release(relay_to(upstream), {"To": ["bob@example.org"]}, id=message_id)

    assert (answer.status_code, answer.json()) == (400, {"Error": "No From header found"})
    assert upstream.envelopes == []


async def test_a_password_never_goes_in_clear_text_to_another_host(release: Release) -> None:
    # Refused before connecting: no name is looked up, nothing is sent.
    for auth in ("plain", "login"):
        upstream = Upstream("smtp.example.invalid", 25, auth=auth, username=USER, password="pw")
        answer = await release(RelayConfig(upstream), {"To": ["bob@example.org"]})

        assert answer.status_code == 400
        assert answer.json()["Error"] == (
            f"SMTP error: refusing to send the {auth.upper()} password in clear text to "
            "smtp.example.invalid:25; set starttls: true or tls: true (or use cram-md5)"
        )


class CramHandler(RecordingHandler):
    """An upstream that logs in by CRAM-MD5 (RFC 2195) with USER and PASSWORD as the secret."""

    async def auth_CRAM__MD5(self, server: Any, args: list[str]) -> Any:
        from aiosmtpd.smtp import MISSING, AuthResult

        challenge = b"<1896.697170952@upstream.example>"
        answer = await server.challenge_auth(challenge)
        if answer is MISSING:
            return AuthResult(success=False)
        user, _, digest = bytes(answer).partition(b" ")
        expected = hmac.new(PASSWORD.encode(), challenge, "md5").hexdigest().encode()
        ok = user == USER.encode() and hmac.compare_digest(digest, expected)
        return AuthResult(success=ok, handled=False, auth_data=user)


@pytest.fixture
def cram_upstream() -> Iterator[SMTPServer]:
    """A plain upstream offering AUTH CRAM-MD5 (the one mechanism that may go in clear)."""
    from aiosmtpd.controller import Controller

    handler, port = CramHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, auth_require_tls=False)
    controller.start()
    yield SMTPServer("127.0.0.1", port, handler)
    controller.stop()


async def test_release_logs_in_with_cram_md5_and_its_secret(
    release: Release, cram_upstream: SMTPServer
) -> None:
    good = relay_to(
        cram_upstream, auth="cram-md5", username=USER, password="not-this", secret=PASSWORD
    )
    bad = relay_to(cram_upstream, auth="cram-md5", username=USER, secret="wrong")

    accepted = await release(good, {"To": ["bob@example.org"]})
    refused = await release(bad, {"To": ["bob@example.org"]})

    assert (accepted.status_code, accepted.text) == (200, "ok")
    assert refused.status_code == 400
    assert "535" in refused.json()["Error"]
    assert [rcpts for _, rcpts, _ in received(cram_upstream)] == [["bob@example.org"]]


@pytest.fixture
def tls_upstream(relay_ca: trustme.CA) -> Iterator[SMTPServer]:
    """An upstream speaking TLS from the first byte (port 465 style)."""
    from aiosmtpd.controller import Controller

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    relay_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    handler, port = RecordingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    yield SMTPServer("127.0.0.1", port, handler)
    controller.stop()


async def test_release_over_implicit_tls(
    release: Release, tls_upstream: SMTPServer, trust_relay_ca: None
) -> None:
    answer = await release(relay_to(tls_upstream, tls=True), {"To": ["bob@example.org"]})

    assert (answer.status_code, answer.text) == (200, "ok")
    assert [rcpts for _, rcpts, _ in received(tls_upstream)] == [["bob@example.org"]]
