"""Keep a message's large encoded bodies out of the parser's tree; read them from the bytes.

The standard library's parser holds a leaf's body as a list of lines, then
as one ``str``, and decoding it makes one ``bytes`` more: a 68 MB message
with a 50 MB attachment took about 590 MB to parse (issue 11). Before
parsing, :func:`set_aside` replaces each run of at least :data:`MIN_BULK`
bytes of base64 or similar lines that makes a whole body (after a blank line,
up to a delimiter line or the end) with a short stand-in; the tree of what
is left is small. :func:`claim` then finds the leaf that holds each stand-in
and marks it, and :func:`chunks` decodes a marked leaf's body from the raw
bytes, a MiB at a time, for sizes, checksums and downloads. Whenever a
stand-in is not exactly one leaf's whole body, or its transfer encoding is
one this module does not decode, the caller parses the original bytes instead.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from email.message import Message

from pochta.message.record import Checksums

__all__ = [
    "CHUNK",
    "MIN_BULK",
    "chunks",
    "claim",
    "decoded_size",
    "digest",
    "is_bulk",
    "set_aside",
]

MIN_BULK = 256 * 1024
CHUNK = 1024 * 1024
# A blank line: the end of a part's header block, where a body may start.
_BLANKS = (b"\n\r\n", b"\n\n")
# What a set-aside body holds: lines of base64 (or quoted-printable, or 7bit
# text without spaces); bytes.translate() deleting them leaves nothing.
_BODY_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n"
_PROBE = 4096
_STAND_IN = b"pochta-bulk-body-"
_DECODED = frozenset({"base64", "quoted-printable", "7bit", "8bit", "binary", ""})
_SPAN = "_pochta_bulk_span"
_RAW = "_pochta_bulk_raw"

Span = tuple[int, int]


def set_aside(raw: bytes) -> tuple[bytes, tuple[Span, ...]]:
    """Return ``raw`` with each large body replaced by a stand-in, and where each body was.

    Returns ``(raw, ())`` when there is nothing to set aside.
    """
    if len(raw) < MIN_BULK or _STAND_IN in raw:
        return raw, ()
    pieces: list[bytes] = []
    spans: list[Span] = []
    done = 0
    at = {blank: raw.find(blank) for blank in _BLANKS}
    start = 0
    while True:
        for blank, found in at.items():
            if 0 <= found < start:  # re-searched only once passed: linear overall
                at[blank] = raw.find(blank, start)
        after = [found + len(blank) for blank, found in at.items() if found >= 0]
        if not after:
            break
        start = min(after)
        # RFC 2046 5.1.1: the line break before a delimiter belongs to the delimiter.
        end = raw.find(b"\n--", start)
        end = len(raw) if end < 0 else end - (raw[end - 1 : end] == b"\r")
        if (
            end - start >= MIN_BULK
            and _all_body_bytes(raw, start, end)
            and _padded(raw, start, end)
        ):
            pieces += [raw[done:start], _STAND_IN + str(len(spans)).encode()]
            spans.append((start, end))
            done = start = end
    if not spans:
        return raw, ()
    pieces.append(raw[done:])
    return b"".join(pieces), tuple(spans)


def _all_body_bytes(raw: bytes, start: int, end: int) -> bool:
    """Tell whether ``raw[start:end]`` holds only :data:`_BODY_BYTES` (a short probe first)."""
    step = _PROBE
    while start < end:
        if raw[start : min(start + step, end)].translate(None, _BODY_BYTES):
            return False
        start, step = start + step, MIN_BULK
    return True


def _padded(raw: bytes, start: int, end: int) -> bool:
    """Tell whether every ``=`` of ``raw[start:end]`` is at its end (base64's padding).

    Base64 with ``=`` inside, and quoted-printable, are left to the parser: a
    piece of them could not be decoded on its own.
    """
    tail = raw[max(start, end - 8) : end]
    return raw.count(b"=", start, end) == tail.count(b"=") <= 2


def claim(raw: bytes, spans: Sequence[Span], leaves: Sequence[Message]) -> bool:
    """Mark the leaves whose whole body is a stand-in; False if any stand-in is elsewhere."""
    found: dict[int, Message] = {}
    for leaf in leaves:
        body = leaf.get_payload()
        if not isinstance(body, str) or not body.startswith(_STAND_IN.decode()):
            continue
        number = body.strip().removeprefix(_STAND_IN.decode())
        if not number.isdigit() or int(number) >= len(spans) or int(number) in found:
            return False
        if str(leaf.get("Content-Transfer-Encoding", "")).strip().lower() not in _DECODED:
            return False
        found[int(number)] = leaf
    if len(found) != len(spans):
        return False  # a stand-in sits in a preamble, a text body or an attached message
    for index, leaf in found.items():
        setattr(leaf, _SPAN, spans[index])
        setattr(leaf, _RAW, raw)
    return True


def is_bulk(leaf: Message) -> bool:
    """Tell whether ``leaf``'s body was set aside (:func:`chunks` reads it)."""
    return hasattr(leaf, _SPAN)


def chunks(leaf: Message) -> Iterator[bytes]:
    """Yield the decoded body of a set-aside leaf, about :data:`CHUNK` bytes at a time.

    The same bytes as ``leaf.get_payload(decode=True)`` of a full parse gives
    for well-formed bodies.
    """
    raw: bytes = getattr(leaf, _RAW)
    start, end = getattr(leaf, _SPAN)
    encoding = str(leaf.get("Content-Transfer-Encoding", "")).strip().lower()
    carry = b""
    while start < end:
        stop = min(start + CHUNK, end)
        if stop < end:  # whole lines, so that no quoted-printable escape is cut
            line_end = raw.rfind(b"\n", start, stop)
            stop = line_end + 1 if line_end >= start else stop
        piece, start = raw[start:stop], stop
        if encoding == "base64":
            piece = carry + piece.translate(None, b"\r\n")
            cut = len(piece) - len(piece) % 4
            carry = piece[cut:]
            yield binascii.a2b_base64(piece[:cut])
        elif encoding == "quoted-printable":
            yield binascii.a2b_qp(piece)
        else:
            yield piece
    if carry:
        with contextlib.suppress(binascii.Error):  # one stray character: nothing to decode
            yield binascii.a2b_base64(carry + b"=" * (-len(carry) % 4))


def decoded_size(leaf: Message) -> int:
    """Return the length of a set-aside leaf's decoded body, counted (base64) or decoded."""
    raw: bytes = getattr(leaf, _RAW)
    start: int
    end: int
    start, end = getattr(leaf, _SPAN)
    encoding = str(leaf.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding == "base64":
        letters = end - start - raw.count(b"\r", start, end) - raw.count(b"\n", start, end)
        tail = raw[max(start, end - 8) : end].rstrip(b"\r\n")
        padding = len(tail) - len(tail.rstrip(b"="))
        if letters % 4 == 0 and raw.count(b"=", start, end) == padding <= 2:
            return letters // 4 * 3 - padding
    return sum(len(piece) for piece in chunks(leaf))


def digest(pieces: Iterator[bytes]) -> tuple[int, Checksums]:
    """Return the length and the checksums (Mailpit's MD5, SHA1, SHA256) of the pieces."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    sha256 = hashlib.sha256()
    size = 0
    for piece in pieces:
        size += len(piece)
        md5.update(piece)
        sha1.update(piece)
        sha256.update(piece)
    return size, Checksums(md5.hexdigest(), sha1.hexdigest(), sha256.hexdigest())
