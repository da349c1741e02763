"""A stored message as POP3 sends it: CRLF lines, byte-stuffed, ended by a dot line.

RFC 1939 3: every line ends in CRLF, a line that starts with ``.`` gets one
more in front, and ``.<CRLF>`` ends the answer. Stored messages are kept as
they arrived, which for imported files can mean bare LF line ends; they are
sent as CRLF. A message without a final line end gets one.
"""

from __future__ import annotations

__all__ = ["top", "wire_lines"]

_CRLF = b"\r\n"


def wire_lines(raw: bytes) -> bytes:
    """Return ``raw`` with CRLF line ends, byte-stuffed, ending in CRLF (no final dot)."""
    text = raw.replace(_CRLF, b"\n").replace(b"\n", _CRLF)
    if text and not text.endswith(_CRLF):
        text += _CRLF
    if text.startswith(b"."):
        text = b"." + text
    return text.replace(b"\r\n.", b"\r\n..")


def top(raw: bytes, count: int) -> bytes:
    """Return the header block, the blank line and the first ``count`` body lines (TOP).

    A message without a blank line is all header. The result is on the wire
    already: CRLF lines, stuffed, ending in CRLF.
    """
    text = wire_lines(raw)
    if text.startswith(_CRLF):  # no header at all: the blank line comes first
        head, blank, body = b"", _CRLF, text[2:]
    else:
        head, blank, body = text.partition(b"\r\n\r\n")
        if not blank:
            return text
    lines = body.split(_CRLF)[:-1]  # the last is the empty rest after the final CRLF
    return head + blank + b"".join(line + _CRLF for line in lines[:count])
