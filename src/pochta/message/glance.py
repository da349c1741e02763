"""The text body of a plainly built message, found without the full parse.

A message is committed with a summary of its header block
(:mod:`pochta.message.headline`), and the full parse comes later, on the
store's indexer thread, which rests while mail pours in. So that a word
search finds the words of a small message's text meanwhile, the store gives
it first words (:mod:`pochta.store.sqlite.early`) with :func:`glance_text`,
which finds the text/plain body of a message that is text/plain itself, or
whose first part is (down a chain of multipart/mixed, alternative or
related, at most :data:`MAX_DEPTH` deep), when that part is no attachment,
has a 7bit, 8bit, binary, quoted-printable or base64 transfer encoding and a
charset Python knows. For anything else it returns ``""``, and the message
waits for the full parse, whose text replaces this one in any case. At most
:data:`MAX_GLANCE` bytes are looked at, each once or twice, so it takes
microseconds (about 30 µs for bench/ingest.py's 2.5 KB text+HTML message, a
tenth of the full parse).
"""

from __future__ import annotations

import binascii
import re

__all__ = ["MAX_DEPTH", "MAX_GLANCE", "glance_text"]

MAX_GLANCE = 64 * 1024  # bytes: a larger message waits for the indexer
MAX_DEPTH = 3  # multipart levels followed down to the first part
_CONTAINERS = frozenset({"multipart/mixed", "multipart/alternative", "multipart/related"})
_FIELDS = frozenset({"content-type", "content-transfer-encoding", "content-disposition"})
_AS_IS = frozenset({"", "7bit", "8bit", "binary"})
# One parameter of a Content-* field (RFC 2045 5.1): a token, or a quoted string.
_PARAMETER = re.compile(
    r";[ \t]*(?P<name>[!#$%&\'+.0-9A-Z^_`a-z{|}~-]+)[ \t]*=[ \t]*"
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<token>[^;\s"]*))'
)
_ESCAPED = re.compile(r"\\(.)")


def glance_text(raw: bytes) -> str:
    """Return the text/plain body of ``raw`` if it is plainly found, else ``""``.

    Never raises on bad input::

        assert glance_text(b"Subject: hi\\r\\n\\r\\nHello\\r\\n") == "Hello\\r\\n"
    """
    if len(raw) > MAX_GLANCE:
        return ""
    try:
        return _text(raw, 0)
    except (LookupError, ValueError, UnicodeError):  # an unknown charset, bad base64...
        return ""


def _text(entity: bytes, depth: int) -> str:
    head, body = _split(entity)
    fields = _fields(head)
    kind, params = _value(fields.get("content-type", ""))
    disposition, _ = _value(fields.get("content-disposition", ""))
    if disposition == "attachment":
        return ""
    if kind in ("", "text/plain"):  # no Content-Type: text/plain (RFC 2045 5.2)
        return _decode(body, fields.get("content-transfer-encoding", ""), params)
    boundary = params.get("boundary", "")
    if kind not in _CONTAINERS or depth >= MAX_DEPTH or not boundary:
        return ""
    first = _first_part(body, boundary.encode("ascii", "surrogateescape"))
    return "" if first is None else _text(first, depth + 1)


def _split(entity: bytes) -> tuple[bytes, bytes]:
    """Split an entity at the empty line after its header block (no headers: all body)."""
    if entity[:1] == b"\n" or entity[:2] == b"\r\n":
        return b"", entity[entity.index(b"\n") + 1 :]
    crlf = entity.find(b"\r\n\r\n")
    lf = entity.find(b"\n\n", 0, crlf + 2 if crlf >= 0 else len(entity))
    if lf >= 0:
        return entity[: lf + 1], entity[lf + 2 :]
    if crlf >= 0:
        return entity[: crlf + 2], entity[crlf + 4 :]
    return entity, b""


def _fields(head: bytes) -> dict[str, str]:
    """Return the first of each Content-* field of a header block, unfolded, by name."""
    fields: dict[str, str] = {}
    name, lines = "", []
    for line in (*head.splitlines(), b"end:"):
        if line[:1] in (b" ", b"\t"):
            lines.append(line)
            continue
        if name in _FIELDS and name not in fields:
            fields[name] = b" ".join(lines).decode("ascii", "surrogateescape").strip()
        key, colon, value = line.partition(b":")
        name, lines = (
            (key.strip().decode("ascii", "replace").lower(), [value]) if colon else ("", [])
        )
    return fields


def _value(field: str) -> tuple[str, dict[str, str]]:
    """Return a field's lower-cased value and its parameters (the first of each name).

    A parameter in RFC 2231's form (``name*=``) is not read: the indexer reads it.
    """
    value, _, rest = field.partition(";")
    params: dict[str, str] = {}
    for match in _PARAMETER.finditer(";" + rest):
        quoted = match["quoted"]
        text = _ESCAPED.sub(r"\1", quoted) if quoted is not None else match["token"]
        params.setdefault(match["name"].lower(), text)
    return value.strip().lower(), params


def _first_part(body: bytes, boundary: bytes) -> bytes | None:
    """Return the first part between ``--boundary`` lines (None: no such closed part)."""
    opening = _delimiter(body, b"--" + boundary, 0)
    if opening is None:
        return None
    closing = _delimiter(body, b"--" + boundary, opening[1])
    return None if closing is None else body[opening[1] : closing[0]]


def _delimiter(body: bytes, delimiter: bytes, start: int) -> tuple[int, int] | None:
    """Find the next delimiter line from ``start``: (where its line break before it
    begins, where the line after it begins), RFC 2046 5.1.1."""
    at = start
    while (found := body.find(delimiter, at)) >= 0:
        end = body.find(b"\n", found)
        end = len(body) if end < 0 else end + 1
        rest = body[found + len(delimiter) : end].rstrip(b" \t\r\n")
        if (found == 0 or body[found - 1] == 0x0A) and rest in (b"", b"--"):
            before = found - 1 if found > 0 else 0
            return (before - 1 if body[before - 1 : before] == b"\r" else before), end
        at = found + 1
    return None


def _decode(body: bytes, transfer: str, params: dict[str, str]) -> str:
    encoding = transfer.strip().lower()
    if encoding == "quoted-printable":
        body = binascii.a2b_qp(body)
    elif encoding == "base64":
        body = binascii.a2b_base64(body)
    elif encoding not in _AS_IS:
        return ""
    return body.decode(params.get("charset", "") or "us-ascii", "replace")
