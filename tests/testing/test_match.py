"""matches(): Mailpit's search language checked against one stored message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from pochta.store import Envelope, Store, open_store
from pochta.store.match import matches, needs_parsed, search_text
from pochta.store.query import parse_query

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "mail.db") as opened:
        yield opened


def report(store: Store) -> str:
    """Store the report fixture (inline chart, PDF attachment) with an envelope Bcc."""
    raw = (DATA / "inline-and-pdf.eml").read_bytes()
    envelope = Envelope("reports@example.com", ("boss@example.org", "audit@example.net"))
    return store.add(raw, envelope)


def check(store: Store, message_id: str, text: str) -> bool:
    query = parse_query(text)
    parsed = store.parsed(message_id) if needs_parsed(query) else None
    return matches(query, store.summary(message_id), parsed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("from:reports@example.com", True),
        ("from:Reports", True),
        ("from:boss", False),
        ("to:boss@example.org", True),
        ("bcc:audit", True),
        ("addressed:audit@example.net", True),
        ("cc:boss", False),
        ("subject:monthly", True),
        ('subject:"monthly report"', True),
        ("subject:weekly", False),
        ("-subject:weekly", True),
        ("!subject:monthly", False),
        ("message-id:report-1@example.com", True),
        ("message-id:report-1", False),
        ("has:attachment", True),
        ("has:inline", True),
        ("is:unread", True),
        ("is:read", False),
        ("is:tagged", False),
        ("attached pdf", True),
        ('"the attached pdf"', True),
        ("chart.png", True),
        ("invoice", False),
        ("larger:1K", True),
        ("smaller:1K", False),
        ("subject:monthly from:reports has:attachment", True),
        ("subject:monthly from:nobody", False),
    ],
)
def test_terms_match_as_mailpit_search_does(store: Store, text: str, expected: bool) -> None:
    message_id = report(store)

    assert check(store, message_id, text) is expected


def test_dates_compare_with_when_the_message_was_stored(store: Store) -> None:
    message_id = report(store)
    created = store.summary(message_id).created
    before = (created - timedelta(minutes=1)).isoformat()
    after = (created + timedelta(minutes=1)).isoformat()

    results = [
        check(store, message_id, f"{term}:{when}")
        for term in ("after", "before")
        for when in (before, after)
    ]

    assert results == [True, False, False, True]


def test_words_without_the_parsed_body_look_at_summary_fields_only(store: Store) -> None:
    summary = store.summary(report(store))

    assert matches(parse_query("boss"), summary) is True
    assert matches(parse_query("attached"), summary) is True  # in the snippet
    assert matches(parse_query("has:inline"), summary) is False
    assert search_text(summary).startswith("monthly report reports reports@example.com")


def test_only_words_and_inline_need_the_parsed_body() -> None:
    assert [needs_parsed(parse_query(t)) for t in ("subject:a to:b", "a", "has:inline")] == [
        False,
        True,
        True,
    ]


def test_read_and_tags_follow_the_summary(store: Store) -> None:
    message_id = report(store)
    store.set_read([message_id], True)

    assert check(store, message_id, "is:read") is True
    assert check(store, message_id, "is:unread") is False
    assert check(store, message_id, "tag:x") is False
