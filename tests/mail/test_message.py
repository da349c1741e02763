"""EmailMessage and EmailMultiAlternatives: what message() produces."""

from __future__ import annotations

import email
import email.message
import email.policy
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import MIMEPart
from email.mime.text import MIMEText
from email.utils import getaddresses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pochta.mail
from pochta.exceptions import BadHeaderError
from pochta.mail import (
    EmailAlternative,
    EmailAttachment,
    EmailMessage,
    EmailMultiAlternatives,
    configure,
)


def parse(msg: email.message.EmailMessage) -> email.message.EmailMessage:
    """Serialise and parse back, as a receiver would."""
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_plain_message_headers_follow_django_5_order() -> None:
    msg = EmailMessage("Hi", "Body", "from@example.com", ["to@example.com"]).message()

    names = [name for name, _ in msg.items()]

    assert names == [
        "Content-Type",
        "MIME-Version",
        "Content-Transfer-Encoding",
        "Subject",
        "From",
        "To",
        "Date",
        "Message-ID",
    ]
    assert msg["Content-Type"] == 'text/plain; charset="utf-8"'


def test_non_ascii_body_is_8bit_utf8_and_readable() -> None:
    body = "Ринго Старр пытался опубликовать запись!"
    raw = EmailMessage("s", body, "a@example.com", ["b@example.com"]).message().as_bytes()

    assert b"Content-Transfer-Encoding: 8bit" in raw
    assert body.encode() in raw


def test_long_url_stays_whole_in_the_raw_message() -> None:
    url = "https://example.com/reset/" + "a1b2c3" * 21  # 152 characters
    raw = EmailMessage("s", f"Go to\n{url}\n", "a@x.com", ["b@x.com"]).message().as_bytes()

    assert url.encode() in raw
    assert b"Content-Transfer-Encoding: 7bit" in raw


def test_line_over_998_octets_is_quoted_printable_and_round_trips() -> None:
    body = "я" * 600  # 1200 octets in UTF-8
    msg = EmailMessage("s", body, "a@x.com", ["b@x.com"]).message()

    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert max(len(line) for line in msg.as_bytes().splitlines()) <= 998
    assert parse(msg).get_content() == body + "\n"


def test_default_from_email_comes_from_settings() -> None:
    configure(DEFAULT_FROM_EMAIL="site@example.com")

    assert EmailMessage("s", "b", None, ["b@x.com"]).from_email == "site@example.com"
    assert EmailMessage().from_email == "site@example.com"


def test_recipients_include_bcc_but_headers_never_do() -> None:
    message = EmailMessage(
        "s", "b", "a@x.com", ["to@x.com"], bcc=["hidden@x.com"], cc=["cc@x.com"]
    )

    assert message.recipients() == ["to@x.com", "cc@x.com", "hidden@x.com"]
    raw = message.message().as_bytes()
    assert b"hidden" not in raw
    assert b"Cc: cc@x.com" in raw


def test_string_instead_of_list_is_a_type_error() -> None:
    with pytest.raises(TypeError, match='"to" argument must be a list or tuple'):
        EmailMessage("s", "b", "a@x.com", "to@x.com")


def test_extra_headers_override_computed_ones_case_insensitively() -> None:
    headers = {
        "From": "Shown <shown@x.com>",
        "to": "list@x.com",
        "Reply-To": "reply@x.com",
        "Date": "Fri, 04 Feb 2022 23:35:11 -0000",
        "Message-ID": "<fixed@x.com>",
        "X-Mailer": "pochta",
    }
    msg = EmailMessage("s", "b", "envelope@x.com", ["real@x.com"], headers=headers).message()

    assert {name: str(msg[name]) for name in headers} == {
        "From": "Shown <shown@x.com>",
        "to": "list@x.com",
        "Reply-To": "reply@x.com",
        "Date": "Fri, 04 Feb 2022 23:35:11 -0000",
        "Message-ID": "<fixed@x.com>",
        "X-Mailer": "pochta",
    }
    assert len(msg.get_all("To", [])) == 1
    assert len(msg.get_all("Date", [])) == 1


def test_date_is_utc_unless_localtime_is_set() -> None:
    msg = EmailMessage("s", "b", "a@x.com", ["b@x.com"]).message()
    sent = msg["Date"].datetime

    assert sent.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 3600


@pytest.fixture
def yekaterinburg(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run with the process's local time zone at UTC+5 (no daylight saving)."""
    # A POSIX rule, so no tz database is needed: five hours east of UTC.
    monkeypatch.setenv("TZ", "<+05>-5")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_localtime_setting_dates_in_the_local_zone(yekaterinburg: None) -> None:
    configure(EMAIL_USE_LOCALTIME=True)
    local = EmailMessage("s", "b", "a@x.com", ["b@x.com"]).message()
    configure(EMAIL_USE_LOCALTIME=False)
    utc = EmailMessage("s", "b", "a@x.com", ["b@x.com"]).message()

    assert str(local["Date"]).endswith(" +0500")
    assert str(utc["Date"]).endswith(" +0000")


def test_non_ascii_subject_and_display_names_round_trip() -> None:
    message = EmailMessage(
        "Тема письма", "Текст", "Отправитель <from@example.com>", ["Получатель <to@example.com>"]
    )
    parsed = parse(message.message())

    assert (str(parsed["Subject"]), str(parsed["From"]), str(parsed["To"])) == (
        "Тема письма",
        "Отправитель <from@example.com>",
        "Получатель <to@example.com>",
    )


def test_internationalised_domains_are_idna_encoded_in_headers() -> None:
    message = EmailMessage("s", "b", "Иван <ivan@пример.рф>", ["user@bücher.de"])
    msg = message.message()

    assert str(msg["From"]) == "Иван <ivan@xn--e1afmkfd.xn--p1ai>"
    assert str(msg["To"]) == "user@xn--bcher-kva.de"


def test_utf8_policy_keeps_unicode_domains() -> None:
    msg = EmailMessage("s", "b", "ivan@пример.рф", ["b@x.com"]).message(
        policy=email.policy.default.clone(utf8=True)
    )

    assert str(msg["From"]) == "ivan@пример.рф"


@pytest.mark.parametrize(
    "subject",
    ["Subject\nBcc: victim@x.com", "Subject\r\nX: y", "trailing newline\n", "cr\ronly"],
)
def test_line_break_in_subject_is_bad_header(subject: str) -> None:
    message = EmailMessage(subject, "b", "a@x.com", ["b@x.com"])

    with pytest.raises(BadHeaderError, match="Subject"):
        message.message()


def test_encoded_newline_is_bad_header() -> None:
    message = EmailMessage("=?UTF-8?Q?=0A?=Bcc: victim@x.com", "b", "a@x.com", ["b@x.com"])

    with pytest.raises(BadHeaderError, match="decodes to a line break"):
        message.message()


def test_encoded_newline_in_display_name_is_bad_header() -> None:
    message = EmailMessage("s", "b", "=?UTF-8?Q?Eve=0D=0A?= <eve@x.com>", ["b@x.com"])

    with pytest.raises(BadHeaderError, match="From"):
        message.message()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", ["a@x.com\nBcc: c@x.com"]),
        ("cc", ["a@x.com\r"]),
        ("reply_to", ["a@x.com\n"]),
    ],
)
def test_line_break_in_address_lists_is_bad_header(field: str, value: list[str]) -> None:
    message = EmailMessage("s", "b", "a@x.com", **{field: value})  # type: ignore[arg-type]

    with pytest.raises(BadHeaderError):
        message.message()


def test_line_break_in_from_email_is_bad_header() -> None:
    message = EmailMessage("s", "b", "a@x.com\nBcc: victim@x.com", ["b@x.com"])

    with pytest.raises(BadHeaderError, match="From"):
        message.message()


def test_line_break_in_extra_header_value_or_name_is_bad_header() -> None:
    with pytest.raises(BadHeaderError, match="X-Note"):
        EmailMessage("s", "b", "a@x.com", ["b@x.com"], headers={"X-Note": "a\nb"}).message()
    with pytest.raises(BadHeaderError, match="field name"):
        EmailMessage("s", "b", "a@x.com", ["b@x.com"], headers={"X-A\nB": "v"}).message()


def test_line_break_in_attachment_file_name_is_bad_header() -> None:
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])

    with pytest.raises(BadHeaderError, match="filename"):
        message.attach("evil\r\nContent-Type: text/html", b"x", "application/pdf")
    message.attachments.append(EmailAttachment("evil\n.pdf", b"x", "application/pdf"))
    with pytest.raises(BadHeaderError, match="filename"):
        message.message()


def test_text_attachment_bytes_are_decoded_as_text() -> None:
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])
    message.attach("notes.txt", "Заметки".encode())

    assert message.attachments == [EmailAttachment("notes.txt", "Заметки", "text/plain")]
    part = next(parse(message.message()).iter_attachments())
    assert (part.get_filename(), part.get_content()) == ("notes.txt", "Заметки\n")


def test_binary_bytes_named_as_text_become_octet_stream() -> None:
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])
    message.attach("data.txt", b"\xff\xfe\x00binary")

    assert message.attachments == [
        EmailAttachment("data.txt", b"\xff\xfe\x00binary", "application/octet-stream")
    ]
    part = next(parse(message.message()).iter_attachments())
    assert (part.get_content_type(), part.get_content()) == (
        "application/octet-stream",
        b"\xff\xfe\x00binary",
    )


def test_attach_file_reads_name_type_and_bytes(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 fake")
    message = EmailMessage("s", "", "a@x.com", ["b@x.com"])
    message.attach_file(pdf)

    parsed = parse(message.message())
    parts = [
        (p.get_filename(), p.get_content_type(), p.get_content())
        for p in parsed.iter_attachments()
    ]
    assert parts == [("report.pdf", "application/pdf", b"%PDF-1.4 fake")]
    assert parsed.get_body() is None


def test_attach_mimepart_and_reject_extra_arguments() -> None:
    part = MIMEPart()
    part.set_content("inline text", subtype="plain")
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])
    message.attach(part)

    assert message.attachments == [part]
    with pytest.raises(ValueError, match="content and mimetype must not be given"):
        message.attach(part, "content")
    with pytest.raises(ValueError, match="content must be provided"):
        message.attach("name.txt")


def test_message_rfc822_attachment_round_trips() -> None:
    inner = EmailMessage("Inner subject", "Inner body", "x@x.com", ["y@x.com"])
    outer = EmailMessage("Fwd", "See attached", "a@x.com", ["b@x.com"])
    outer.attach("inner.eml", inner, "message/rfc822")
    outer.attach(None, b"Subject: raw\n\nraw body\n", "message/rfc822")

    attached = [p.get_content() for p in parse(outer.message()).iter_attachments()]
    assert [(str(m["Subject"]), m.get_content()) for m in attached] == [
        ("Inner subject", "Inner body\n"),
        ("raw", "raw body\n"),
    ]


def test_alternatives_make_multipart_alternative() -> None:
    message = EmailMultiAlternatives("s", "Plain", "a@x.com", ["b@x.com"])
    message.attach_alternative("<p>HTML</p>", "text/html")

    parsed = parse(message.message())
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content() for p in parsed.iter_parts()] == ["Plain\n", "<p>HTML</p>\n"]
    assert message.alternatives == [EmailAlternative("<p>HTML</p>", "text/html")]
    assert message.body_contains("Plain") is False
    with pytest.raises(ValueError, match="Both content and mimetype"):
        message.attach_alternative(None, "text/html")


def test_alternatives_with_attachment_make_mixed_of_alternative() -> None:
    message = EmailMultiAlternatives(
        "s", "Plain", "a@x.com", ["b@x.com"], alternatives=[("<b>x</b>", "text/html")]
    )
    message.attach("a.csv", "x,y\n", "text/csv")

    parsed = parse(message.message())
    shape = [p.get_content_type() for p in parsed.walk()]
    assert shape == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/csv",
    ]


def test_body_contains_checks_every_text_alternative() -> None:
    message = EmailMultiAlternatives("s", "hello world", "a@x.com", ["b@x.com"])
    message.attach_alternative("<p>hello</p>", "text/html")
    message.attach_alternative(b"\x00", "application/octet-stream")

    assert message.body_contains("hello") is True
    assert message.body_contains("world") is False


def test_send_without_recipients_returns_zero_and_makes_no_backend() -> None:
    configure(MAILERS={"default": {"BACKEND": "pochta.mail.backends.locmem.EmailBackend"}})
    message = EmailMessage("s", "b", "a@x.com", [])

    assert message.send() == 0
    assert message.send(using="no-such-mailer") == 0  # not even looked up
    assert not hasattr(pochta.mail, "outbox")


# Round trips: compose -> message() -> bytes -> parse back.

LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
header_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters=LINE_BREAKS), max_size=120
)
local_part = st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,15}[a-z0-9])?", fullmatch=True).filter(
    lambda part: ".." not in part
)
domain = st.from_regex(r"([a-z0-9]{1,10}\.){1,3}[a-z]{2,6}", fullmatch=True)
addr_spec = st.builds(lambda local, host: f"{local}@{host}", local_part, domain)


@settings(max_examples=60, deadline=None)
@given(subject=header_text)
def test_subject_round_trips(subject: str) -> None:
    msg = EmailMessage(subject, "b", "a@x.com", ["b@x.com"]).message()

    # RFC 5322 folding whitespace after the colon is not part of the value.
    assert str(parse(msg)["Subject"]) == subject.lstrip(" \t")


@settings(max_examples=60, deadline=None)
@given(body=st.text(st.characters(exclude_categories=["Cs"]), max_size=1500))
def test_body_round_trips_with_normalised_line_ends(body: str) -> None:
    msg = EmailMessage("s", body, "a@x.com", ["b@x.com"]).message()
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()

    assert parse(msg).get_content() == "".join(line + "\n" for line in lines) or "\n"


@settings(max_examples=60, deadline=None)
@given(name=header_text, sender=addr_spec, recipients=st.lists(addr_spec, min_size=1, max_size=4))
def test_addresses_round_trip(name: str, sender: str, recipients: list[str]) -> None:
    from_header = str(Address(display_name=name, addr_spec=sender))
    message = EmailMessage("s", "b", from_header, recipients, cc=recipients[:1])
    raw = message.message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    # The modern parser keeps the space between two adjacent encoded words of a display
    # name (RFC 2047 6.2 says to drop it), so read the name with the legacy decoder.
    [(encoded_name, address)] = getaddresses([str(email.message_from_bytes(raw)["From"])])
    decoded_name = str(make_header(decode_header(encoded_name)))

    # An unquoted display name is a run of words: only its words survive.
    assert (decoded_name.split(), address) == (name.split(), sender)
    assert [a.addr_spec for a in parsed["To"].addresses] == recipients
    assert [a.addr_spec for a in parsed["Cc"].addresses] == recipients[:1]


@settings(max_examples=40, deadline=None)
@given(
    before=header_text,
    mark=st.sampled_from(["\r", "\n", "\r\n", "\u2028", "\x0c"]),
    after=header_text,
)
def test_any_line_break_in_a_header_is_refused(before: str, mark: str, after: str) -> None:
    for message in (
        EmailMessage(before + mark + after, "b", "a@x.com", ["b@x.com"]),
        EmailMessage("s", "b", "a@x.com", ["b@x.com"], headers={"X-Tag": before + mark + after}),
    ):
        with pytest.raises(BadHeaderError):
            message.message()


def test_attached_legacy_message_with_folded_headers_is_kept() -> None:
    forwarded = email.message_from_bytes(
        b"Subject: a long\n folded subject\nReceived: from a\n\tby b\n\nforwarded body\n"
    )
    message = EmailMessage("Fwd", "See attached", "a@x.com", ["b@x.com"])
    message.attach("forwarded.eml", forwarded, "message/rfc822")

    [attached] = [p.get_content() for p in parse(message.message()).iter_attachments()]
    assert (str(attached["Subject"]), attached.get_content()) == (
        "a long folded subject",
        "forwarded body\n",
    )


def test_ready_made_legacy_part_with_injected_header_is_refused() -> None:
    part = MIMEText("text")
    part["X-Injected"] = "value\nBcc: victim@x.com"
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"], attachments=[part])

    with pytest.raises(BadHeaderError, match="X-Injected"):
        message.message()
