"""The SQLite store's ``reindex`` after damage: a cleared, a corrupted index, broken summaries.

Each test damages the file through a connection of its own, as a crash, a
disk error or a bug could; ``test_cli_reindex.py`` does it under a running
``pochta serve`` and from a fresh process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pochta.exceptions import PochtaError
from pochta.store import Envelope, Store, open_store

MESSAGES = [
    b"From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: banana split\r\n\r\n"
    b"a recipe with bananas\r\n",
    b"From: shop@example.com\r\nTo: carol@example.com\r\nSubject: Your invoice\r\n\r\n"
    b"invoice number 7, see attached\r\n",
    b"From: news@example.com\r\nTo: dave@example.com\r\nSubject: =?utf-8?q?Caf=C3=A9_news?=\r\n"
    b"\r\nmenus\r\n",
]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "mail.db"


@pytest.fixture
def store(database: Path) -> Iterator[Store]:
    with open_store(database) as opened:
        for raw in MESSAGES:
            opened.add(raw, Envelope("sender@example.com", ("hidden@example.com",)))
        yield opened


def damage(database: Path, *statements: str) -> None:
    """Change the store file behind the store's back, as a crash or a bug could."""
    connection = sqlite3.connect(database)
    with connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()


def found(store: Store, query: str) -> list[str]:
    return [summary.subject for summary in store.search(query).messages]


def test_a_cleared_search_index_is_rebuilt(store: Store, database: Path) -> None:
    damage(
        database,
        "INSERT INTO meta (key, value) VALUES ('truncating', '1')",
        "INSERT INTO message_text (message_text) VALUES ('delete-all')",
        "DELETE FROM message_search",
        "DELETE FROM meta WHERE key = 'truncating'",
    )
    assert found(store, "bananas") == []
    assert store.reindex() == 3
    assert found(store, "bananas") == ["banana split"]
    assert found(store, "invoice") == ["Your invoice"]
    assert found(store, "cafe") == ["Café news"]  # diacritics folded, as before


def test_a_corrupted_full_text_index_is_rebuilt(store: Store, database: Path) -> None:
    damage(database, "UPDATE message_text_data SET block = randomblob(length(block))")
    with pytest.raises(PochtaError):
        found(store, "bananas")
    progress: list[tuple[int, int]] = []
    assert store.reindex(progress=lambda done, total: progress.append((done, total))) == 3
    assert progress[-1] == (3, 3)
    assert found(store, "bananas") == ["banana split"]
    assert found(store, "from:ann subject:banana") == ["banana split"]


def test_summaries_are_rebuilt_and_what_people_set_stays(store: Store, database: Path) -> None:
    before = {s.id: s for s in store.list_messages().messages}
    newest, middle, oldest = before
    store.set_read([middle], True)
    store.set_tags([oldest], ["kept", "Work"])
    damage(
        database,
        "UPDATE message SET subject = 'wrong', subject_lower = 'wrong', addr_from = '',"
        " summary = json_set(summary, '$.snippet', 'wrong', '$.attachments', 9)",
        f"UPDATE message SET summary = '{{not json' WHERE id = '{newest}'",
    )
    assert store.reindex() == 3
    after = {s.id: s for s in store.list_messages().messages}
    assert list(after) == list(before)
    for id, summary in after.items():
        assert (summary.subject, summary.snippet) == (before[id].subject, before[id].snippet)
        assert (summary.created, summary.size) == (before[id].created, before[id].size)
    for id in (middle, oldest):  # the envelope lives in the summary: gone where it was broken
        assert after[id].envelope == before[id].envelope
    assert [after[id].read for id in (newest, middle, oldest)] == [False, True, False]
    assert after[oldest].tags == ("kept", "Work")
    assert store.tags() == ["kept", "Work"]
    assert found(store, "from:ann") == ["banana split"]
    assert store.raw(oldest) == MESSAGES[0]


def test_an_index_broken_before_the_store_was_opened_is_rebuilt(database: Path) -> None:
    with open_store(database) as store:
        store.add(MESSAGES[0], Envelope("a@example.com", ("b@example.com",)))
    damage(database, "UPDATE message_text_data SET block = randomblob(length(block))")
    with open_store(database) as store:  # its connections never saw the index whole
        assert store.reindex() == 1
        assert found(store, "bananas") == ["banana split"]
