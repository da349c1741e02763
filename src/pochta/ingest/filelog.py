"""Split the log files of Django's (and pochta's) file email backend into messages.

Both backends append each message as ``message.as_bytes() + b"\\n"`` followed
by a line of exactly 79 dashes, one file per connection. A message is taken
as it stands between separators, without the newline the backend added
before the dashes (LF line ends, as the file has them).

A body may hold a line of 79 dashes of its own. A separator only counts
when what follows it is the end of the data or a header block: header lines
(and their continuations) up to a blank line, naming at least one of From,
To, Subject, Date, Message-ID, MIME-Version or Content-Type. A body line of
dashes followed by such a block would still split the message; nothing in
the file can tell those apart. The data after the last separator is a
message still being written unless ``final`` is set (see :func:`split_log`).
"""

from __future__ import annotations

import re

from pochta.ingest.detect import header_block, looks_like_message

__all__ = ["split_log"]

_SEPARATOR = re.compile(rb"(?:^|(?<=\n))-{79}\r?\n")
_LOOK = 64 * 1024  # bytes after a separator looked at to judge it


def split_log(
    data: bytes, *, final: bool, at_rest: bool = True
) -> tuple[list[tuple[int, bytes]], int]:
    """Return ``([(offset, message), ...], consumed)`` for the log ``data``.

    ``consumed`` is the offset just past the last separator used: a reader
    following a growing file (``pochta serve --watch``) starts there next
    time. With ``final`` the text after the last separator, if it looks like
    a message, is returned as well (and consumed). ``at_rest`` false says
    the data may be growing at this moment: a line of dashes at its very end
    then waits, as it could be the last line of a body whose separator is
    still to come.
    """
    messages: list[tuple[int, bytes]] = []
    start = 0
    for match in _SEPARATOR.finditer(data):
        rest = data[match.end() : match.end() + _LOOK]
        verdict = _starts_message(rest, final=final, at_rest=at_rest)
        if verdict is None:  # the next message is still being written
            return messages, start
        if not verdict:
            continue  # a line of dashes inside a body
        chunk = data[start : match.start()]
        chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk.removesuffix(b"\n")
        if chunk.strip():
            messages.append((start, chunk))
        start = match.end()
    if final:
        tail = data[start:]
        if tail.strip() and looks_like_message(tail):
            messages.append((start, tail))
        start = len(data)
    return messages, start


def _starts_message(rest: bytes, *, final: bool, at_rest: bool) -> bool | None:
    """Tell whether ``rest`` starts a message: True, False, or None (cannot tell yet)."""
    if not rest:
        return True if final or at_rest else None
    return header_block(rest, complete=final or len(rest) >= _LOOK)
