"""Large encoded bodies: parsed as the standard library reads them, without holding them whole."""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import hashlib
import random
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from pochta.message.parse import find_part, parse_message, parse_tree
from pochta.message.record import Checksums

MIN_BULK = 256 * 1024  # pochta.message.bulk's: bodies set aside from this size on
DATA = random.Random(7).randbytes(3 * 1024 * 1024)  # 4 MiB once encoded


def large(data: bytes = DATA, *, encoding: str = "base64", kind: str = "application/pdf") -> bytes:
    """Return a text+HTML message with ``data`` attached in ``encoding``."""
    body = base64.encodebytes(data).replace(b"\n", b"\r\n") if encoding == "base64" else data
    return (
        b"From: app@example.com\r\nTo: user@example.com\r\nSubject: report\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        b"--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n"
        b"--b2\r\nContent-Type: text/plain\r\n\r\nThe report.\r\n"
        b"--b2\r\nContent-Type: text/html\r\n\r\n<p>The report.</p>\r\n--b2--\r\n"
        b"--b1\r\nContent-Type: " + kind.encode() + b"\r\n"
        b'Content-Disposition: attachment; filename="report.pdf"\r\n'
        b"Content-Transfer-Encoding: " + encoding.encode() + b"\r\n\r\n" + body + b"\r\n--b1--\r\n"
    )


def stdlib_payload(raw: bytes, part_index: int = 0) -> bytes:
    """Return the standard library's own decoding of an attachment of ``raw``."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    data = list(message.iter_attachments())[part_index].get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def peak_of(action: Callable[[], Any]) -> int:
    """Return the most memory Python allocated while ``action`` ran, in bytes."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_attachment_is_parsed_as_the_standard_library_decodes_it() -> None:
    raw = large()
    parsed = parse_message(raw, checksums=True)
    found = find_part(parse_tree(raw), "2")
    assert found is not None and found[1] == stdlib_payload(raw) == DATA
    assert (parsed.text, parsed.html, parsed.attachments) == (
        "The report.",
        "<p>The report.</p>",
        (
            dataclasses.replace(
                found[0],
                checksums=Checksums(
                    hashlib.md5(DATA).hexdigest(),
                    hashlib.sha1(DATA).hexdigest(),
                    hashlib.sha256(DATA).hexdigest(),
                ),
            ),
        ),
    )
    assert (found[0].size, parsed.problem) == (len(DATA), None)


def test_parsing_a_large_message_holds_a_small_part_of_it() -> None:
    raw = large()
    # The standard library's tree alone held about eight times the message.
    assert peak_of(lambda: parse_message(raw)) < len(raw) // 4


def test_reading_a_large_part_holds_about_twice_its_size() -> None:
    raw = large()
    assert peak_of(lambda: find_part(parse_tree(raw), "2")) < 2.5 * len(DATA)


@pytest.mark.parametrize("encoding", ["7bit", "quoted-printable"])
def test_other_encodings_of_a_large_body_decode_as_before(encoding: str) -> None:
    text = b"\r\n".join([b"abcdefghij0123456789" * 3] * (2 * MIN_BULK // 60))
    raw = large(text, encoding=encoding, kind="text/csv")
    found = find_part(parse_tree(raw), "2")
    assert found is not None and (found[1], found[0].size) == (stdlib_payload(raw), len(text))


def test_a_base64_run_inside_a_text_body_is_left_to_the_parser() -> None:
    run = base64.encodebytes(DATA[:MIN_BULK]).replace(b"\n", b"\r\n")
    raw = (
        b"From: a@example.com\r\nSubject: pasted\r\nContent-Type: text/plain\r\n\r\n"
        b"Here it is:\r\n\r\n" + run + b"\r\nBye.\r\n"
    )
    parsed = parse_message(raw)
    assert (parsed.text.startswith("Here it is:\n\n"), parsed.text.endswith("Bye.\n")) == (
        True,
        True,
    )
    assert parsed.parts[0].size == len(raw.split(b"\r\n\r\n", 1)[1])


def _b64(data: bytes, newline: bytes = b"\r\n") -> bytes:
    return base64.encodebytes(data).replace(b"\n", newline)


HTML = ("<p>Grüße " + "x" * 76 + "</p>\n") * 4000  # 330 KB of UTF-8 HTML
SHAPES = {
    "single part, base64 to the end": (
        b"From: a@example.com\r\nContent-Type: application/zip\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(DATA[: 2 * MIN_BULK])
    ),
    "LF line ends": large().replace(b"\r\n", b"\n"),
    "blank lines before the delimiter": large().replace(b"\r\n--b1--", b"\r\n\r\n\r\n--b1--"),
    "a base64 HTML body": (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(HTML.encode())
    ),
    "an attached message with a large part": (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=out\r\n\r\n--out\r\n"
        b"Content-Type: text/plain\r\n\r\nSee the forward.\r\n--out\r\n"
        b"Content-Type: message/rfc822\r\n\r\n" + large() + b"\r\n--out--\r\n"
    ),
    "a large preamble": (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n" + _b64(DATA[:MIN_BULK]) + b"\r\n"
        b"--b1\r\nContent-Type: text/plain\r\n\r\nHello.\r\n--b1--\r\n"
    ),
    "two large attachments": large().replace(
        b"--b1--",
        b"--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(DATA[:MIN_BULK])
        + b"\r\n--b1--",
    ),
    "base64 with padding inside, left to the parser": (
        b"From: a@example.com\r\nContent-Type: application/zip\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(DATA[:1000]) + _b64(DATA[:MIN_BULK])
    ),
    "uuencoded, left to the parser": large().replace(
        b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: x-uuencode"
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_setting_large_bodies_aside_changes_nothing_the_parse_says(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = SHAPES[shape]
    lean = parse_message(raw, checksums=True)
    lean_parts = [find_part(parse_tree(raw), p.part_id) for p in lean.parts]
    monkeypatch.setattr("pochta.message.bulk.MIN_BULK", 1 << 40)  # nothing is set aside
    full = parse_message(raw, checksums=True)
    assert lean == full
    assert lean_parts == [find_part(parse_tree(raw), p.part_id) for p in full.parts]
