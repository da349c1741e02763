"""An SQLite file's signature: what its first 100 bytes say, read without opening it as SQLite.

An SQLite file starts with a 100-byte header (https://sqlite.org/fileformat.html,
1.3): the magic string, the journal mode (bytes 18 and 19: 2 for WAL), the
schema cookie (40: 0 until the first table is made), ``user_version`` (60)
and ``application_id`` (68), all big-endian. These are enough to tell a
pochta store from any other file before anything is written to it; they are
stale only while a write-ahead log beside the file holds commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pochta.exceptions import StoreError, StoreFormatError

__all__ = ["MAGIC", "Header", "read_header"]

MAGIC = b"SQLite format 3\x00"
_SIZE = 100


@dataclass(frozen=True, slots=True)
class Header:
    """The fields of an SQLite file header that identify a store."""

    wal: bool
    schema_cookie: int
    user_version: int
    application_id: int


def read_header(path: Path) -> Header | None:
    """Return the header of the SQLite file at ``path``; None if it is missing or empty.

    StoreFormatError for a file that is not SQLite (or too short to be),
    StoreError when it cannot be read.
    """
    try:
        with path.open("rb") as file:
            head = file.read(_SIZE)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(
            f"cannot read the store {path} ({exc.strerror}); check its permissions"
        ) from exc
    if not head:
        return None
    if not head.startswith(MAGIC) or len(head) < _SIZE:
        raise StoreFormatError(
            f"{path} is not a pochta store (not an SQLite database); "
            "give pochta a new file name (it creates the file) or move that file away"
        )
    return Header(
        wal=head[18] == 2 and head[19] == 2,
        schema_cookie=_number(head, 40),
        user_version=_number(head, 60),
        application_id=_number(head, 68),
    )


def _number(head: bytes, offset: int) -> int:
    return int.from_bytes(head[offset : offset + 4], "big", signed=True)
