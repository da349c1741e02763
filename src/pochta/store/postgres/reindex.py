"""``pochta reindex`` for PostgreSQL: every summary and the words rebuilt from the raw bytes.

Every indexed row, in arrival order and a batch at a time, is locked
(``FOR UPDATE``, so a catcher changing it meanwhile waits a moment), parsed
as the indexer parses and written back: the summary columns and the words.
Id, arrival time, mailbox, read flag, tags, envelope and bytes are not
touched. Rows not indexed yet are the indexers' (the caller waits for them).
Nothing is announced: no message changed, only what is derived from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pochta.store.postgres.indexer import (
    INSERT_CHECKSUM,
    TAKE_COLUMNS,
    UPDATE_INDEXED,
    index_row,
)

__all__ = ["BATCH", "Progress", "rebuild"]

Progress = Callable[[int, int], None]
"""Told ``(done, total)`` after each batch."""

BATCH = 64
_ROWS = (
    f"SELECT {TAKE_COLUMNS} FROM message AS m JOIN message_raw AS r USING (seq)"
    " WHERE m.indexed AND m.seq > %s ORDER BY m.seq LIMIT %s FOR UPDATE OF m"
)


def rebuild(pool: Any, progress: Progress | None = None) -> int:
    """Rewrite what every indexed message's bytes give; return how many were rewritten."""
    with pool.connection() as connection:
        total = int(connection.execute("SELECT count(*) FROM message WHERE indexed").fetchone()[0])
    done, after = 0, 0
    while True:
        with pool.connection() as connection, connection.transaction():
            rows = connection.execute(_ROWS, (after, BATCH), binary=True).fetchall()
            if not rows:
                break
            indexed = [index_row(row) for row in rows]
            values = [columns for _, columns, _ in indexed]
            connection.execute(UPDATE_INDEXED, [list(c) for c in zip(*values, strict=True)])
            checksums = [row for _, _, sums in indexed for row in sums]
            if checksums:
                with connection.cursor() as cursor:
                    cursor.executemany(INSERT_CHECKSUM, checksums)
        done += len(rows)
        after = int(rows[-1][10])
        if progress is not None:
            progress(done, max(total, done))
    return done
