"""The captured mailbox: messages kept byte-exact behind one contract, with summaries.

:class:`Store` is the contract (:mod:`pochta.store.contract`) every store
keeps; :func:`open_store` opens one by location (an SQLite file by default)::

    from pochta.store import Envelope, open_store

    with open_store("mail.db", max_messages=500) as store:
        message_id = store.add(raw, Envelope("app@example.com", ("user@example.com",)))
        print(store.summary(message_id).subject, store.parsed(message_id).links)
"""

from __future__ import annotations

from pochta.message.envelope import Envelope
from pochta.message.parse import parse_message
from pochta.message.record import Address, Checksums, ParsedMessage, Part
from pochta.store.contract import Store
from pochta.store.location import open_store
from pochta.store.record import MessagePage, SearchPage, StoreEvent, StoreInfo, Summary

__all__ = [
    "Address",
    "Checksums",
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
