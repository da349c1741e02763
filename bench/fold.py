"""Measure what schema 5 (tags and words folded in every script) costs a store that upgrades.

Run: .venv/bin/python bench/fold.py [--messages 20000]

Fills a store (bench/store.py's 2.5 KB text+HTML messages, one tag each of
"Тест", "тест", "Über", "release"), then turns it back into what schema 4
left: the old tag table (``NOCASE``, no ``folded``) and search rows that
are not folded (upper-cased here, so every row has to be rewritten). It
times, in the same run: opening at schema 4 (the migration: tag rows
rebuilt) against opening at schema 5 (the baseline), the background
refold against ``reindex()`` (the full rebuild from the bytes, the
alternative), and a word search before and after. Prints figures; nothing
is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

from pochta.store import open_store
from store import add_concurrently, median_ms  # bench/store.py

_TAGS = ("Тест", "тест", "Über", "release")


def fill(path: Path, count: int) -> None:
    with open_store(path) as store:
        asyncio.run(add_concurrently(store, count, 32))
        store.flush()
        ids = store.search_ids("")
        for index, tag in enumerate(_TAGS):
            store.set_tags(ids[index :: len(_TAGS)], [tag])


def downgrade(path: Path) -> None:
    """Make the store look as schema 4 left it (tags by NOCASE, words not folded)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.executescript(
            """
            BEGIN;
            CREATE TEMP TABLE saved AS SELECT tag, seq FROM message_tag;
            DROP TABLE message_tag;
            CREATE TABLE message_tag (tag TEXT NOT NULL COLLATE NOCASE, seq INTEGER NOT NULL,
                PRIMARY KEY (tag, seq)) WITHOUT ROWID;
            CREATE INDEX message_tag_seq ON message_tag (seq);
            INSERT INTO message_tag SELECT tag, seq FROM saved;
            CREATE TEMP TABLE text AS SELECT * FROM message_search;
            DELETE FROM message_search;
            INSERT INTO message_search SELECT seq, upper(subject), upper(addresses), upper(body),
                upper(files) FROM text;
            DELETE FROM meta WHERE key = 'refold';
            PRAGMA user_version = 4;
            COMMIT;
            """
        )


def timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    count = parser.parse_args().messages
    with tempfile.TemporaryDirectory(dir=Path.home()) as folder:
        path = Path(folder) / "fold.db"
        fill(path, count)
        print(f"{count} messages; load average {os.getloadavg()[0]:.1f}")
        baseline_open = timed(lambda: open_store(path).close())
        with open_store(path) as store:
            search_after = median_ms(lambda: store.search("report", limit=50), 15)
        downgrade(path)
        started = time.perf_counter()
        store = open_store(path)  # the migration runs here; the refold starts after it
        migrated = time.perf_counter() - started
        refold = timed(store.flush)
        search_refolded = median_ms(lambda: store.search("report", limit=50), 15)
        reindex = timed(store.reindex)
        store.close()
        print(
            f"open at schema 5 (baseline)   {baseline_open * 1e3:8.1f} ms\n"
            f"open at schema 4 (migration)  {migrated * 1e3:8.1f} ms"
            f"  {migrated / baseline_open:5.1f}x baseline\n"
            f"refold in the background      {refold:8.2f} s   {count / refold:6.0f} msgs/s\n"
            f"reindex() (full rebuild)      {reindex:8.2f} s   {count / reindex:6.0f} msgs/s"
            f"  refold takes {refold / reindex:.2f}x of it\n"
            f"search 'report' median        {search_after:8.2f} ms fresh store,"
            f" {search_refolded:.2f} ms after upgrade and refold;"
            f" load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
