"""The conversation alone (no sockets): total on any input, one reply per command."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pochta.server.smtp.command import CommandError, parse_mail, parse_rcpt
from pochta.server.smtp.conversation import Conversation, Next
from pochta.server.smtp.server import SMTPSettings

VERBS = st.sampled_from([b"EHLO ", b"HELO ", b"MAIL FROM:", b"RCPT TO:", b"AUTH PLAIN ", b""])
LINES = st.tuples(VERBS, st.binary(max_size=80)).map(b"".join)


@given(st.lists(LINES, max_size=30))
def test_any_command_lines_get_exactly_one_reply_each(lines: list[bytes]) -> None:
    conversation = Conversation(SMTPSettings(auth_accept_any=True, max_bad_commands=1000), "p")
    for line in lines:
        before = len(conversation.replies)
        next_step = conversation.handle(line)
        if next_step is Next.DATA:
            assert conversation.finish_message(b"x\r\n") is not None
        assert len(conversation.replies) == before + 1
        assert conversation.replies[-1][:1] in b"2345" and conversation.replies[-1].endswith(
            b"\r\n"
        )


@given(st.text(max_size=120))
def test_address_parsing_only_ever_refuses_with_a_reply(text: str) -> None:
    for parse in (lambda: parse_mail(text, max_size=100), lambda: parse_rcpt(text, smtputf8=True)):
        try:
            result = parse()
        except CommandError as refusal:
            assert refusal.reply[:3] in {b"501", b"552", b"553", b"555"}
        else:
            address = result if isinstance(result, str) else result.address
            assert not any(ord(char) < 0x20 or char == "\x7f" for char in address)


def test_the_envelope_carries_what_the_client_said() -> None:
    conversation = Conversation(SMTPSettings(auth_accept_any=True), "192.0.2.1")
    for line in (b"EHLO laptop", b"AUTH PLAIN AGJvYgBwdw==", b"MAIL FROM:<a@b.c> BODY=8BITMIME"):
        conversation.handle(line)
    conversation.handle(b"RCPT TO:<d@e.f>")
    assert conversation.handle(b"DATA") is Next.DATA
    envelope = conversation.finish_message(b"body\r\n")
    assert envelope is not None
    assert (envelope.helo, envelope.auth_user, envelope.client_address, envelope.mail_options) == (
        "laptop",
        "bob",
        "192.0.2.1",
        ("BODY=8BITMIME",),
    )
