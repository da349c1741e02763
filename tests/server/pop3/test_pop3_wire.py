"""A stored message as POP3 sends it: CRLF lines, stuffed dots, and TOP's cut."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pochta.server.pop3.wire import top, wire_lines


def unstuff(wire: bytes) -> list[bytes]:
    """Read the lines back as a POP3 client does (RFC 1939 3)."""
    assert wire.endswith(b"\r\n")
    lines = wire[:-2].split(b"\r\n")
    assert all(not line.startswith(b".") or line.startswith(b"..") for line in lines)
    return [line[1:] if line.startswith(b"..") else line for line in lines]


@given(st.lists(st.binary().filter(lambda b: b"\n" not in b and b"\r" not in b), min_size=1))
def test_a_client_reads_back_every_line(lines: list[bytes]) -> None:
    assert unstuff(wire_lines(b"\r\n".join(lines) + b"\r\n")) == lines
    assert unstuff(wire_lines(b"\n".join(lines) + b"\n")) == lines  # bare LF line ends
    if lines[-1]:
        assert unstuff(wire_lines(b"\n".join(lines))) == lines  # and no final one


def test_no_line_of_the_wire_form_is_the_end_marker() -> None:
    assert wire_lines(b".\r\n.\r\n") == b"..\r\n..\r\n"
    assert wire_lines(b"") == b""
    assert wire_lines(b"a\rb\r\n") == b"a\rb\r\n"  # a lone CR is content


def test_top_cuts_after_the_blank_line() -> None:
    raw = b"Subject: x\r\n\r\n.one\r\ntwo\r\n"
    assert top(raw, 0) == b"Subject: x\r\n\r\n"
    assert top(raw, 1) == b"Subject: x\r\n\r\n..one\r\n"
    assert top(raw, 5) == b"Subject: x\r\n\r\n..one\r\ntwo\r\n"
    assert top(b"Subject: only headers\n", 3) == b"Subject: only headers\r\n"
    assert top(b"\r\nbody\r\nmore\r\n", 1) == b"\r\nbody\r\n"
