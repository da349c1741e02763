"""Message tags: what a tag may be, and the automatic tags a message gets at ingest.

A tag is any text without commas, its whitespace collapsed, at most
:data:`MAX_TAG` characters. Tags compare without regard to case, in every
script (:func:`tag_key`: ``Тест`` is ``тест``, ``ÜBER`` is ``über``), so a
message carries a tag once however it is spelt, and ``tag:`` finds it
either way; each message keeps the spelling it was given, and lists show
one of them. Accents and ``ё``/``е`` are kept apart in tags (a tag is a
label, compared whole), unlike words (:mod:`pochta.store.fold`). Automatic
tags come from an ``X-Tags: a, b`` header and from plus-addressing: mail to
``user+signup@example.com`` is tagged ``signup``. Each store keeps tags its
own way (see :mod:`pochta.store.sqlite.tagging`).
"""

from __future__ import annotations

from collections.abc import Iterable

from pochta.message.record import Address

__all__ = ["MAX_TAG", "MAX_TAGS", "clean_tags", "plus_tags", "tag_key"]

MAX_TAG = 100
MAX_TAGS = 50  # per message


def tag_key(tag: str) -> str:
    """Return what ``tag`` is compared by: lower case in every script, whitespace collapsed."""
    return " ".join(tag.split()).lower()


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Return distinct cleaned tags (case-insensitively), sorted; empty ones dropped."""
    found: dict[str, str] = {}
    for tag in tags:
        cleaned = " ".join(tag.replace(",", " ").split())[:MAX_TAG]
        if cleaned:
            found.setdefault(tag_key(cleaned), cleaned)
    return tuple(sorted(found.values(), key=tag_key))[:MAX_TAGS]


def plus_tags(addresses: Iterable[Address]) -> tuple[str, ...]:
    """Return the tags of plus-addressed mailboxes: ``user+tag@host`` gives "tag"."""
    tags = []
    for address in addresses:
        local, at, _ = address.address.rpartition("@")
        if at and "+" in local:
            tags.append(local.split("+", 1)[1])
    return tuple(tags)
