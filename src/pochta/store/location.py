"""Where a store lives, and :func:`open_store`, which opens the right kind for it.

A location is a file path (the embedded SQLite store, the default) or a
``postgresql://`` URL (the team store, :mod:`pochta.store.postgres`: several
catchers on one database). Any other URL is refused with the choices.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

from pochta.exceptions import ConfigurationError
from pochta.store.contract import Store
from pochta.store.limit import Limits
from pochta.store.postgres.connection import redact
from pochta.store.sqlite.store import SQLiteStore

__all__ = ["open_store"]

_URL = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.I)


def open_store(
    location: str | os.PathLike[str],
    *,
    max_messages: int = 0,
    max_age: timedelta | None = None,
    durability: str = "full",
    follow: bool = False,
    read_only: bool = False,
    ingest_process: bool = False,
) -> Store:
    """Open the store at ``location``, creating it (and a file's folder) if missing.

    ``max_messages`` keeps only the newest N messages (0: no limit) and
    ``max_age`` deletes older messages; both apply after each insert and on
    :meth:`Store.prune`. ``durability`` is "full" (every commit survives a
    power loss) or "normal" (commits survive a crash of the process and
    reach the disk within 0.05 s, so a power loss may take the last 0.05 s;
    see docs/store.md; ``pochta serve``'s default). ``follow``
    also announces to subscribers the messages other processes add.
    ``read_only`` opens an existing store only to read it, writing nothing
    (it works in a read-only folder or volume); every change raises StoreError.
    For a ``postgresql://`` URL the database must exist; its schema is made
    or brought up to date (unless ``read_only``), ``durability`` is
    PostgreSQL's own (its ``synchronous_commit``), and ``follow`` also
    announces what the other catchers on that database change. Raises
    StoreFormatError for a file that is not a pochta store (or comes from a
    newer pochta), StoreError (StoreUnavailableError: PostgreSQL is not
    answering) when the location cannot be created or written,
    ConfigurationError for a limit or location that makes no sense::

        store = open_store("~/.pochta/mail.db", max_messages=500)
        message_id = store.add(raw_bytes, Envelope("a@example.com", ("b@example.com",)))
        store.close()
    """
    limits = Limits(max_messages, max_age)
    text = os.fspath(location)
    scheme = _URL.match(text)
    if scheme is not None:
        if scheme.group(1).lower() in ("postgresql", "postgres"):
            from pochta.store.postgres.store import PostgresStore

            return PostgresStore(
                text, limits=limits, durability=durability, follow=follow, read_only=read_only
            )
        raise ConfigurationError(
            f"store location {redact(text)!r} is a {scheme.group(1)} URL; give a file path "
            "such as .pochta/mail.db, or a postgresql://user@host/database URL"
        )
    return SQLiteStore(
        text,
        limits=limits,
        durability=durability,
        follow=follow,
        read_only=read_only,
        ingest_process=ingest_process,
    )
