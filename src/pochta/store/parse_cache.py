"""What a store keeps of recent parses: :class:`ParseCache`, shared by every kind of store.

Full parses (:meth:`ParseCache.parsed`) of the 32 messages opened last, each
made by one thread at a time (the inbox page and its frame ask together), and
the MIME trees of the 4 small messages whose parts were read last (a page
asks for each of its images). A large message's tree holds its bytes for the
large parts (:mod:`pochta.message.bulk`), so it is parsed anew for each part
instead. The store subscribes :meth:`ParseCache.forget` to its events, so
what is deleted is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email.message import Message

from pochta.exceptions import MessageNotFound
from pochta.message.parse import find_part_chunks, parse_tree
from pochta.message.record import ParsedMessage, Part
from pochta.store.recent import Recent
from pochta.store.record import StoreEvent

__all__ = ["TREE_CACHED_BELOW", "ParseCache"]

#: Messages from this size on are parsed anew for each part read.
TREE_CACHED_BELOW = 1024 * 1024


class ParseCache:
    """Recent full parses and small messages' trees, by message id."""

    def __init__(self, parses: int = 32, trees: int = 4) -> None:
        """Start empty, keeping at most ``parses`` parses and ``trees`` trees."""
        self._parsed: Recent[str, ParsedMessage] = Recent(parses)
        self._trees: Recent[str, Message | None] = Recent(trees)

    def parsed(self, id: str, parse: Callable[[], ParsedMessage]) -> ParsedMessage:
        """Return the parse of ``id``; ``parse`` makes it (one thread at a time) if not kept."""
        return self._parsed.get(id, parse)

    def keep(self, id: str, parsed: ParsedMessage) -> None:
        """Keep a parse made elsewhere (the indexer's of a large message)."""
        self._parsed.put(id, parsed)

    def part(self, id: str, raw: bytes, part_id: str) -> tuple[Part, bytes]:
        """Return leaf ``part_id`` of message ``id`` (bytes ``raw``) and its decoded payload."""
        part, pieces = self.part_chunks(id, raw, part_id)
        return part, b"".join(pieces)

    def part_chunks(self, id: str, raw: bytes, part_id: str) -> tuple[Part, Iterator[bytes]]:
        """Return leaf ``part_id`` of message ``id`` and its decoded payload in pieces."""
        if len(raw) < TREE_CACHED_BELOW:
            tree = self._trees.get(id, lambda: parse_tree(raw))
        else:
            tree = parse_tree(raw)
        found = find_part_chunks(tree, part_id)
        if found is None:
            raise MessageNotFound(f"message {id} has no part {part_id!r}")
        return found

    def forget(self, event: StoreEvent) -> None:
        """Drop what is kept of messages that are gone (subscribed to the store's events)."""
        if event.kind == "truncate":
            self.clear()
        elif event.kind in ("delete", "prune"):
            self._parsed.forget(event.ids)
            self._trees.forget(event.ids)

    def clear(self) -> None:
        """Drop every parse and tree (after a reindex, or a truncate)."""
        self._parsed.clear()
        self._trees.clear()
