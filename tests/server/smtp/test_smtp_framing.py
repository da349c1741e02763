"""The framer alone: any body, split anywhere, comes back byte-exact (RFC 5321 4.5.2)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from pochta.server.smtp.framing import Framer, Oversize

LINE_PIECES = st.sampled_from([b".", b"..", b"\r", b"\n", b"\r\n", b"x", b"\x00", b"\xff", b" "])
BODIES = (
    st.lists(LINE_PIECES, max_size=60)
    .map(b"".join)
    .map(lambda body: body + b"\r\n" if body else body)
)


def stuff(body: bytes) -> bytes:
    """Dot-stuff ``body`` the way a client must before sending it."""
    return (b"\r\n" + body).replace(b"\r\n.", b"\r\n..")[2:] + b".\r\n"


def feed_in_pieces(framer: Framer, data: bytes, cuts: list[int]) -> list[bytes | Oversize]:
    results: list[bytes | Oversize] = []
    edges = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    for start, end in itertools.pairwise(edges):
        framer.feed(data[start:end])
        while (body := framer.read_message()) is not None:
            results.append(body)
            framer.begin_data()
    return results


@given(bodies=st.lists(BODIES, min_size=1, max_size=4), cuts=st.lists(st.integers(0, 10_000)))
def test_any_bodies_split_anywhere_come_back_exactly(bodies: list[bytes], cuts: list[int]) -> None:
    framer = Framer(max_line=512, max_message=10_000)
    framer.begin_data()
    wire = b"".join(stuff(body) for body in bodies)
    assert feed_in_pieces(framer, wire, cuts) == bodies


def test_command_lines_need_crlf() -> None:
    framer = Framer(max_line=512, max_message=1000)
    framer.feed(b"NOOP\nNOOP\r\nRSET\r")
    assert (framer.read_line(), framer.read_line()) == (b"NOOP\nNOOP", None)
    framer.feed(b"\n")
    assert framer.read_line() == b"RSET"


def test_clear_forgets_unread_bytes() -> None:
    framer = Framer(max_line=512, max_message=1000)
    framer.feed(b"STARTTLS\r\nMAIL FROM:<x@y>\r\n")
    assert framer.read_line() == b"STARTTLS"
    framer.clear()
    assert (framer.read_line(), len(framer)) == (None, 0)


def test_a_message_exactly_at_the_limit_fits_and_one_more_byte_does_not() -> None:
    framer = Framer(max_line=512, max_message=10)
    framer.begin_data()
    framer.feed(b"12345678\r\n.\r\n")
    assert framer.read_message() == b"12345678\r\n"
    framer.begin_data()
    framer.feed(b"123456789\r\n.\r\n")
    assert framer.read_message() is Oversize.MESSAGE


NEAR_WINDOW_EDGES = [k * 16 * 1024 + d for k in (1, 2) for d in range(-8, 9)]
SOMEWHERE = st.sampled_from(NEAR_WINDOW_EDGES) | st.integers(0, 3 * 16 * 1024)


@given(
    length=SOMEWHERE,
    offset=SOMEWHERE,
    ending=st.sampled_from([b".", b"..", b".x", b"x.", b""]),
    cuts=st.lists(st.integers(0, 60_000), max_size=4),
)
def test_large_bodies_keep_their_dot_line_and_end_wherever_they_fall(
    length: int, offset: int, ending: bytes, cuts: list[int]
) -> None:
    # Text without dots (as base64 is) and one line that starts with a dot (or
    # none), each of them and the end marker around the framer's 16 KiB search
    # windows too; cut anywhere on the way in.
    body = bytearray(b"QUJD" * (length // 4 + 1))[:length]
    body[offset:offset] = b"\r\n" + ending + b"\r\n"
    body += b"\r\n"
    framer = Framer(max_line=512, max_message=100_000)
    framer.begin_data()
    assert feed_in_pieces(framer, stuff(bytes(body)), cuts) == [bytes(body)]
