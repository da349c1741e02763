"""The captured mailbox: messages kept byte-exact in one SQLite file, with summaries.

::

    from pochta.store import Envelope, open_store

    with open_store("mail.db", max_messages=500) as store:
        message_id = store.add(raw, Envelope("app@example.com", ("user@example.com",)))
        print(store.summary(message_id).subject, store.parsed(message_id).links)
"""

from __future__ import annotations

from pochta.store.envelope import Envelope
from pochta.store.parse import parse_message
from pochta.store.records import (
    Address,
    MessagePage,
    ParsedMessage,
    Part,
    SearchPage,
    StoreEvent,
    StoreInfo,
    Summary,
)
from pochta.store.sqlite import Store, open_store

__all__ = [
    "Address",
    "Envelope",
    "MessagePage",
    "ParsedMessage",
    "Part",
    "SearchPage",
    "Store",
    "StoreEvent",
    "StoreInfo",
    "Summary",
    "open_store",
    "parse_message",
]
