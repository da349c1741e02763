"""Where a store lives, and :func:`open_store`, which opens the right kind for it.

A location is a file path (the embedded SQLite store, the default). A URL
(``scheme://...``) names a store server; none is built in yet, so one is
refused with the choices there are.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

from pochta.exceptions import ConfigurationError
from pochta.store.contract import Store
from pochta.store.limit import Limits
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
    Raises StoreFormatError for a file that is not a pochta store (or comes
    from a newer pochta), StoreError when the location cannot be created or
    written, ConfigurationError for a limit or location that makes no sense::

        store = open_store("~/.pochta/mail.db", max_messages=500)
        message_id = store.add(raw_bytes, Envelope("a@example.com", ("b@example.com",)))
        store.close()
    """
    limits = Limits(max_messages, max_age)
    text = os.fspath(location)
    scheme = _URL.match(text)
    if scheme is not None:
        raise ConfigurationError(
            f"store location {text!r} is a {scheme.group(1)} URL; this pochta keeps its "
            "store in an SQLite file: give a file path such as .pochta/mail.db"
        )
    return SQLiteStore(
        text, limits=limits, durability=durability, follow=follow, read_only=read_only
    )
