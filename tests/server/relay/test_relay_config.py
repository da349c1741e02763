"""Mailpit's relay and forward YAML files, and the POCHTA_SMTP_* variables beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pochta.exceptions import ConfigurationError
from pochta.server.relay.config import (
    ForwardConfig,
    Upstream,
    load_forward_config,
    load_relay_config,
)

MAILPIT_EXAMPLE = """\
host: smtp.example.com
port: 587
starttls: true
allow-insecure: false
auth: login
username: mailer
password: "p@ss: word"
return-path: bounces@example.com
override-from: "Relay <relay@example.com>"
allowed-recipients: '@example\\.com$'
blocked-recipients: '^ceo@'
preserve-message-ids: true
forward-smtp-errors: true
"""


def write(tmp_path: Path, text: str, name: str = "relay.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mailpits_relay_file_is_read_key_by_key(tmp_path: Path) -> None:
    relay = load_relay_config(write(tmp_path, MAILPIT_EXAMPLE), {})

    assert relay is not None
    assert relay.upstream == Upstream(
        host="smtp.example.com",
        port=587,
        starttls=True,
        auth="login",
        username="mailer",
        password="p@ss: word",
        return_path="bounces@example.com",
        override_from="relay@example.com",
        forward_smtp_errors=True,
    )
    assert relay.preserve_message_ids is True
    assert [relay.refuses(a) for a in ("a@example.com", "a@other.org", "ceo@example.com")] == [
        "",
        "allowlist",
        "blocklist",
    ]


def test_the_password_and_secret_stay_out_of_repr(tmp_path: Path) -> None:
    # A relay configuration in a log line or a traceback must not carry the credentials.
    relay = load_relay_config(
        write(tmp_path, MAILPIT_EXAMPLE), {"POCHTA_SMTP_RELAY_SECRET": "cram-secret"}
    )

    assert relay is not None
    assert (relay.upstream.password, relay.upstream.secret) == ("p@ss: word", "cram-secret")
    assert "p@ss" not in repr(relay) and "cram-secret" not in repr(relay)
    assert "username='mailer'" in repr(relay)


def test_the_file_wins_over_variables_and_variables_fill_the_rest(tmp_path: Path) -> None:
    environ = {"POCHTA_SMTP_RELAY_HOST": "env.example", "POCHTA_SMTP_RELAY_PORT": "2525"}
    relay = load_relay_config(write(tmp_path, "host: file.example\n"), environ)
    only_env = load_relay_config(None, environ)

    assert relay is not None and only_env is not None
    assert relay.upstream.address == "file.example:2525"
    assert only_env.upstream.address == "env.example:2525"
    assert load_relay_config(None, {}) is None


def test_the_deprecated_recipient_allowlist_still_works(tmp_path: Path) -> None:
    relay = load_relay_config(write(tmp_path, "host: h\nrecipient-allowlist: '@a\\.org$'\n"), {})

    assert relay is not None and relay.allowed_recipients is not None
    assert relay.allowed_recipients.pattern == "@a\\.org$"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("port: 25\n", "[relay] host not set"),
        ("host: h\nallowed-recipient: x\n", "unknown key 'allowed-recipient'"),
        ("host: h\nstarttls: true\ntls: true\n", "TLS & STARTTLS cannot be required together"),
        ("host: h\nauth: plain\nusername: u\n", "username or password not set for PLAIN"),
        ("host: h\nauth: cram-md5\nusername: u\n", "username or secret not set for CRAM-MD5"),
        ("host: h\nauth: xoauth2\n", "authentication method not supported: xoauth2"),
        ("host: h\nport: 70000\n", "is not a port"),
        ("host: h\nallowed-recipients: '('\n", "is not a regular expression"),
        ("host: h\noverride-from: nobody\n", "is not a valid email address"),
        ("host: h\nstarttls: maybe\n", "is not true or false"),
        ("- host: h\n", "must hold keys"),
        ("host: [unclosed\n", "is not valid YAML"),
    ],
)
def test_bad_relay_files_are_refused_with_the_fix(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(ConfigurationError, match=error.replace("[", r"\[").replace("(", r"\(")):
        load_relay_config(write(tmp_path, text), {})


def test_a_missing_file_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="configuration not found or readable"):
        load_relay_config(tmp_path / "missing.yaml", {})


def test_forward_reads_to_as_a_list_of_bare_addresses(tmp_path: Path) -> None:
    text = "to: 'Ops <ops@example.com>, audit@example.com'\nhost: mx.example\ntls: true\n"
    forward = load_forward_config(write(tmp_path, text, "forward.yaml"), {})

    assert forward == ForwardConfig(
        Upstream(host="mx.example", tls=True), ("ops@example.com", "audit@example.com")
    )
    assert load_forward_config(None, {}) is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("host: h\n", "To addresses missing"),
        ("to: a@b.org\n", "[forward] host not set"),
        ("to: 'a@b.org, oops'\nhost: h\n", "To address is not a valid email address: 'oops'"),
        ("to: a@b.org\nhost: h\nallowed-recipients: x\n", "unknown key 'allowed-recipients'"),
    ],
)
def test_bad_forward_files_are_refused(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(ConfigurationError, match=error.replace("[", r"\[")):
        load_forward_config(write(tmp_path, text, "forward.yaml"), {})
