"""The SMTP conversation: exact bytes in, exact replies out (RFC 5321, 1870, 2920, 6531)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import smtplib

import pytest

from pochta.message.envelope import Envelope
from pochta.server.smtp.server import SMTPSettings
from tests.server.smtp.smtp_harness import Recorder, serve

EHLO_REPLY = (
    b"250-pochta\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
    b"250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n"
)
SYNTAX = b"501 5.5.4 Syntax error in parameters or arguments\r\n"
MAIL = b"EHLO c\r\nMAIL FROM:<a@b.c>"
BAD_MAILBOX = b"553 5.1.3 Mailbox name not allowed: bad address syntax\r\n"


def test_greeting_and_ehlo_advertise_the_extensions() -> None:
    with serve() as server:
        client = server.connect()
        assert client.greeting == b"220 pochta ESMTP pochta\r\n"
        assert client.send(b"EHLO client.example\r\n") == [EHLO_REPLY]


def test_helo_answers_with_one_line() -> None:
    with serve(SMTPSettings(hostname="catcher")) as server:
        assert server.connect().send(b"HELO client\r\n") == [b"250 catcher\r\n"]


def test_a_whole_pipelined_conversation_is_answered_in_order() -> None:
    with serve() as server:
        client = server.connect()
        conversation = (
            b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
            b"RCPT TO:<c@example.com>\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\n"
            b"NOOP\r\nRSET\r\nVRFY b\r\nQUIT\r\n"
        )
        assert client.send(conversation, 10)[1:] == [
            b"250 2.1.0 OK\r\n",
            b"250 2.1.5 OK\r\n",
            b"250 2.1.5 OK\r\n",
            b"354 End data with <CR><LF>.<CR><LF>\r\n",
            b"250 2.0.0 OK: queued as id1\r\n",
            b"250 2.0.0 OK\r\n",
            b"250 2.0.0 OK\r\n",
            b"252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery\r\n",
            b"221 2.0.0 Bye\r\n",
        ]
        assert client.read_all() == b""
    assert server.deliver.messages == [  # type: ignore[attr-defined]
        (
            b"Subject: hi\r\n\r\nbody\r\n",
            Envelope(
                mail_from="a@example.com",
                rcpt_tos=("b@example.com", "c@example.com"),
                client_address="127.0.0.1",
                helo="c",
            ),
        )
    ]


def test_commands_split_across_writes_are_joined() -> None:
    with serve() as server:
        client = server.connect()
        client.sock.sendall(b"EH")
        client.sock.sendall(b"LO c\r")
        assert client.send(b"\nNOOP\r\n", 2)[1] == b"250 2.0.0 OK\r\n"


def test_smtplib_sends_a_message_with_its_envelope() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        refused = smtp.sendmail("from@example.com", ["to@example.com"], b"Subject: s\r\n\r\nx\r\n")
    assert refused == {}
    assert recorder.messages == [
        (
            b"Subject: s\r\n\r\nx\r\n",
            Envelope(
                mail_from="from@example.com",
                rcpt_tos=("to@example.com",),
                client_address="127.0.0.1",
                helo="[127.0.0.1]",
                mail_options=("size=17",),
            ),
        )
    ]


def test_mail_parameters_are_kept_in_the_envelope() -> None:
    with serve() as server:
        client = server.connect()
        replies = client.codes(
            b"EHLO c\r\nMAIL FROM:<> SIZE=100 BODY=8BITMIME SMTPUTF8\r\n"
            b"RCPT TO:<\xd0\xbf\xd0\xbe@example.com>\r\nDATA\r\nx\r\n.\r\n",
            5,
        )
        assert replies == [250, 250, 250, 354, 250]
    (_, envelope) = server.deliver.messages[0]  # type: ignore[attr-defined]
    assert (envelope.mail_from, envelope.rcpt_tos, envelope.mail_options) == (
        "",
        ("по@example.com",),
        ("SIZE=100", "BODY=8BITMIME", "SMTPUTF8"),
    )


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        (b"MAIL FROM:<a@b.c>\r\n", b"503 5.5.1 Send EHLO or HELO first\r\n"),
        (b"EHLO c\r\nRCPT TO:<a@b.c>\r\n", b"503 5.5.1 Send MAIL first\r\n"),
        (b"EHLO c\r\nDATA\r\n", b"503 5.5.1 Send MAIL first\r\n"),
        (MAIL + b"\r\nDATA\r\n", b"503 5.5.1 Send RCPT first\r\n"),
        (
            MAIL + b"\r\nMAIL FROM:<a@b.c>\r\n",
            b"503 5.5.1 A MAIL transaction is already open; send RSET first\r\n",
        ),
        (
            MAIL + b"\r\nRSET\r\nRCPT TO:<x@y.z>\r\n",
            b"503 5.5.1 Send MAIL first\r\n",
        ),
        (b"FROB\r\n", b"500 5.5.1 Command not recognized\r\n"),
        (b"\r\n", b"500 5.5.1 Command not recognized\r\n"),
        (b"EHLO\r\n", SYNTAX),
        (b"HELO two words\r\n", SYNTAX),
        (
            b"EHLO c\r\nMAIL TO:<a@b.c>\r\n",
            SYNTAX,
        ),
        (
            b"EHLO c\r\nMAIL FROM:a@b.c\r\n",
            SYNTAX,
        ),
        (
            b"EHLO c\r\nMAIL FROM:<a@b.c\r\n",
            SYNTAX,
        ),
        (
            MAIL + b" SIZE=x\r\n",
            b"501 5.5.4 SIZE must be a decimal number\r\n",
        ),
        (
            MAIL + b" BODY=9BIT\r\n",
            b"501 5.5.4 BODY must be 7BIT or 8BITMIME\r\n",
        ),
        (
            MAIL + b" FOO=1\r\n",
            b"555 5.5.4 Parameter not recognized or not implemented\r\n",
        ),
        (
            MAIL + b"\r\nRCPT TO:<d@e.f> NOTIFY=NEVER\r\n",
            b"555 5.5.4 Parameter not recognized or not implemented\r\n",
        ),
        (b"VRFY\r\n", SYNTAX),
        (b"RSET now\r\n", SYNTAX),
        (b"\xff\xfe\r\n", b"500 5.5.2 Syntax error: commands are UTF-8 text\r\n"),
    ],
)
def test_bad_commands_get_their_code_and_the_session_goes_on(
    commands: bytes, expected: bytes
) -> None:
    with serve() as server:
        client = server.connect()
        count = commands.count(b"\r\n")
        assert client.send(commands, count)[-1] == expected
        assert client.send(b"NOOP\r\n") == [b"250 2.0.0 OK\r\n"]


@pytest.mark.parametrize(
    ("mailbox", "code"),
    [
        (b"<a@b.c>", 250),
        (b"<first.last+tag@sub.example.org>", 250),
        (b'<"quoted local"@example.com>', 250),
        (b"<user@[127.0.0.1]>", 250),
        (b"<@relay.example:user@example.com>", 250),
        (b"<no-at-sign>", 553),
        (b"<@example.com>", 553),
        (b"<user@>", 553),
        (b"<a b@example.com>", 553),
        (b"<user@exa mple.com>", 553),
        (b"<user@.example.com>", 553),
        (b"<user@example..com>", 553),
        (b"<" + b"l" * 65 + b"@example.com>", 553),
        (b"<" + b"l" * 64 + b"@example.com>", 250),
        (b"<u@" + b"d" * 250 + b".com>", 553),
        (b"<\xd0\xbf@example.com>", 553),
    ],
)
def test_rcpt_addresses_are_checked_lightly(mailbox: bytes, code: int) -> None:
    with serve() as server:
        client = server.connect()
        replies = client.codes(MAIL + b"\r\nRCPT TO:" + mailbox + b"\r\n", 3)
        assert replies == [250, 250, code]


def test_non_ascii_address_without_smtputf8_names_the_fix() -> None:
    with serve() as server:
        client = server.connect()
        reply = client.send(b"EHLO c\r\nMAIL FROM:<\xd0\xbf@example.com>\r\n", 2)[1]
        assert reply == b"553 5.6.7 Non-ASCII addresses need the SMTPUTF8 parameter\r\n"


def test_postmaster_without_a_domain_is_accepted() -> None:
    with serve() as server:
        client = server.connect()
        assert client.codes(b"HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\n", 3) == [
            250,
            250,
            250,
        ]


def test_help_and_noop_with_an_argument() -> None:
    with serve() as server:
        client = server.connect()
        assert client.codes(b"HELP\r\nNOOP anything\r\nhelo c\r\nnoop\r\n", 4) == [
            214,
            250,
            250,
            250,
        ]


def test_ehlo_again_starts_a_new_transaction() -> None:
    with serve() as server:
        client = server.connect()
        replies = client.codes(MAIL + b"\r\nEHLO c\r\nRCPT TO:<d@e.f>\r\n", 4)
        assert replies == [250, 250, 250, 503]


def test_port_zero_reports_the_real_port() -> None:
    with serve() as server:
        host, port = server.server.address
        assert (host, port != 0, server.server.sockets[0].getsockname()[1]) == (
            "127.0.0.1",
            True,
            port,
        )


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (b"MAIL FROM:<attacker\rX-Pwned:1@example.com>", BAD_MAILBOX),
        (b"MAIL FROM:<a@example.com>\rX-Pwned: 1", BAD_MAILBOX),
        (b"MAIL FROM:<a\x00b@example.com>", BAD_MAILBOX),
        (b"MAIL FROM:<a\nb@example.com>", BAD_MAILBOX),
        (b"MAIL FROM:<a\x1b[31m@example.com>", BAD_MAILBOX),
        (b"HELO evil\rX-Pwned:1", SYNTAX),
        (b"HELO a\x00b", SYNTAX),
        (b"EHLO a\x7fb", SYNTAX),
    ],
)
def test_control_characters_never_reach_the_envelope(command: bytes, reply: bytes) -> None:
    # CVE-2026-23829: a bare CR in MAIL FROM became a header in the stored mail
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        client = server.connect()
        verb_helo = command.startswith((b"HELO", b"EHLO"))
        first = b"" if verb_helo else b"EHLO c\r\n"
        assert client.send(first + command + b"\r\n", 1 + (not verb_helo))[-1] == reply
        assert client.codes(b"NOOP\r\n") == [250]
    assert recorder.messages == []


def test_rcpt_with_a_bare_cr_is_refused() -> None:
    with serve() as server:
        client = server.connect()
        replies = client.send(MAIL + b"\r\nRCPT TO:<b@example.com>\rBcc: x\r\n", 3)
        assert replies[2] == BAD_MAILBOX


@pytest.mark.slow
def test_a_client_that_never_reads_replies_is_throttled() -> None:
    # Backpressure: once our replies pile up unread, the server stops reading,
    # so the client's writes stall instead of the server's memory growing.
    with serve() as server:
        client = server.connect()
        client.sock.settimeout(1.0)
        chunk, sent = b"NOOP\r\n" * 10_000, 0
        with contextlib.suppress(TimeoutError):
            while sent < 200_000_000:
                sent += client.sock.send(chunk)
        assert sent < 200_000_000
        client.sock.settimeout(30)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            reading = pool.submit(client.read_all)
            client.sock.sendall(b"NOOP\r\n"[sent % 6 :] * bool(sent % 6) + b"QUIT\r\n")
            replies = reading.result()
    assert replies.count(b"250 2.0.0 OK\r\n") == -(-sent // 6)
    assert replies.endswith(b"221 2.0.0 Bye\r\n")
