"""Message tags: what a tag may be, and the automatic tags a message gets at ingest.

A tag is any text without commas, its whitespace collapsed, at most
:data:`MAX_TAG` characters; tags compare without regard to case. Automatic
tags come from an ``X-Tags: a, b`` header and from plus-addressing: mail to
``user+signup@example.com`` is tagged ``signup``. Each store keeps tags its
own way (see :mod:`pochta.store.sqlite.tagging`).
"""

from __future__ import annotations

from collections.abc import Iterable

from pochta.message.record import Address

__all__ = ["MAX_TAG", "MAX_TAGS", "clean_tags", "plus_tags"]

MAX_TAG = 100
MAX_TAGS = 50  # per message


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Return distinct cleaned tags (case-insensitively), sorted; empty ones dropped."""
    found: dict[str, str] = {}
    for tag in tags:
        cleaned = " ".join(tag.replace(",", " ").split())[:MAX_TAG]
        if cleaned:
            found.setdefault(cleaned.lower(), cleaned)
    return tuple(sorted(found.values(), key=str.lower))[:MAX_TAGS]


def plus_tags(addresses: Iterable[Address]) -> tuple[str, ...]:
    """Return the tags of plus-addressed mailboxes: ``user+tag@host`` gives "tag"."""
    tags = []
    for address in addresses:
        local, at, _ = address.address.rpartition("@")
        if at and "+" in local:
            tags.append(local.split("+", 1)[1])
    return tuple(tags)
