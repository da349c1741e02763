"""glance_text: the text body of a plainly built message, found without the full parse."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pochta.message.glance import MAX_GLANCE, glance_text
from pochta.store import parse_message

DATA = Path(__file__).parent.parent / "data"
HEAD = b"From: a@example.com\r\nSubject: s\r\n"


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("path", sorted(DATA.glob("*.eml")), ids=lambda p: p.name)
def test_what_it_finds_is_the_text_the_full_parse_finds(path: Path) -> None:
    raw = path.read_bytes()
    found = glance_text(raw)
    assert found == "" or words(found) == words(parse_message(raw).text)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300),
    charset=st.sampled_from(["utf-8", "iso-8859-1", "koi8-r", "utf-16"]),
    cte=st.sampled_from(["7bit", "8bit", "quoted-printable", "base64"]),
    shape=st.sampled_from(["alone", "alternative", "mixed"]),
)
def test_text_written_by_email_is_read_back(text: str, charset: str, cte: str, shape: str) -> None:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    if cte in ("7bit", "8bit") and (charset != "utf-8" or not text.isascii()):
        cte = "base64"  # what email refuses to write as is
    message = EmailMessage()
    message["Subject"] = "s"
    message.set_content(text, charset=charset, cte=cte)
    if shape == "alternative":
        message.add_alternative("<p>html</p>", subtype="html")
    elif shape == "mixed":
        message.add_attachment(b"%PDF", "application", "pdf", filename="q3.pdf")
    raw = message.as_bytes(policy=SMTP)
    assert words(glance_text(raw)) == words(parse_message(raw).text)


def test_nested_parts_and_headerless_parts() -> None:
    raw = HEAD + (
        b'Content-Type: multipart/mixed; boundary="out"\r\n\r\npreamble\r\n'
        b'--out\r\nContent-Type: multipart/alternative;\r\n boundary="in"\r\n\r\n'
        b"--in\r\n\r\nno headers here\r\n--in\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n"
        b"--in--\r\n--out--\r\n"
    )
    assert glance_text(raw) == "no headers here"


@pytest.mark.parametrize(
    "body",
    [
        # The text is an attachment, or comes after another part: the indexer decides.
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Disposition: attachment\r\n\r\nfile\r\n--b--\r\n",
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/html\r\n\r\n<p>x</p>\r\n--b\r\n\r\ntext\r\n--b--\r\n",
        # No closing delimiter, a delimiter only alike, no boundary, an odd encoding.
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\ntext\r\n',
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--bb\r\n\r\ntext\r\n--bb--\r\n',
        b"Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\ntext\r\n--b--\r\n",
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n",
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\ntext\r\n",
        b"Content-Type: text/plain; charset=base64\r\n\r\naGk=\r\n",  # no text encoding
        b"Content-Type: text/html\r\n\r\n<p>text</p>\r\n",
    ],
)
def test_anything_not_plain_is_left_to_the_indexer(body: bytes) -> None:
    assert glance_text(HEAD + body) == ""


def test_a_large_message_is_left_to_the_indexer() -> None:
    assert glance_text(HEAD + b"\r\n" + b"x" * MAX_GLANCE) == ""
    assert glance_text(HEAD + b"\r\nwords\r\n") == "words\r\n"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([b"", b"multipart/mixed; boundary=b\r\n\r\n"]))
def test_never_raises(noise: bytes, kind: bytes) -> None:
    assert isinstance(glance_text(b"Content-Type: " + kind + noise), str)
