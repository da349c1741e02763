"""Split the log files of Django's (and pochta's) file email backend into messages.

Both backends append each message as ``message.as_bytes() + b"\\n"`` followed
by a line of exactly 79 dashes, one file per connection. A message is taken
as it stands between separators, without the newline the backend added
before the dashes (LF line ends, as the file has them).

A body may hold a line of 79 dashes of its own; a separator only counts
when what follows it is the end of the data or starts with a header line,
so such a body stays whole. The data after the last separator is a
message still being written unless ``final`` is set (see :func:`split_log`).
"""

from __future__ import annotations

import re

from pochta.ingest.detect import looks_like_message

__all__ = ["split_log"]

_SEPARATOR = re.compile(rb"(?:^|(?<=\n))-{79}\r?\n")


def split_log(data: bytes, *, final: bool) -> tuple[list[tuple[int, bytes]], int]:
    """Return ``([(offset, message), ...], consumed)`` for the log ``data``.

    ``consumed`` is the offset just past the last separator used: a reader
    following a growing file (``pochta serve --watch``) starts there next
    time. With ``final`` the text after the last separator, if it looks like
    a message, is returned as well (and consumed).
    """
    messages: list[tuple[int, bytes]] = []
    start = 0
    for match in _SEPARATOR.finditer(data):
        rest = data[match.end() : match.end() + 1024]
        if rest and not looks_like_message(rest):
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
