"""The PostgreSQL store keeps the checksums of each file from indexing, and opening reads them."""

from __future__ import annotations

import asyncio
import hashlib

import psycopg

from pochta.store import Envelope
from pochta.store.postgres import PostgresStore
from tests.message.test_bulk import DATA, large

ENVELOPE = Envelope("app@example.com", ("user@example.com",))


def test_the_indexer_stores_checksums_that_opening_reads_back(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        message_id = asyncio.run(store.aadd(large(), ENVELOPE))
        store.flush()
    with psycopg.connect(postgres_url) as connection:
        stored = connection.execute(
            "SELECT part_id, size, md5 FROM pochta.message_checksum"
        ).fetchall()
        # What opening shows is what was stored, not hashed again: mark it.
        connection.execute("UPDATE pochta.message_checksum SET sha1 = 'stored at indexing'")
    with PostgresStore(postgres_url) as store:
        [attachment] = store.parsed(message_id).attachments
        assert (store.delete(None), store.count()) == (1, (0, 0))  # TRUNCATE takes them too
    assert stored == [("2", len(DATA), hashlib.md5(DATA).hexdigest())]
    assert attachment.checksums is not None
    assert (attachment.checksums.md5, attachment.checksums.sha1) == (
        hashlib.md5(DATA).hexdigest(),
        "stored at indexing",
    )
