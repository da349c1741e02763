"""The store contract's fixtures: every test that asks for them runs against each kind of store.

* ``store_kind`` (session scope, parametrised over :data:`KINDS`): how to make
  a location of that kind and reach beneath the contract where a test must
  (moving a message's arrival time).
* ``location``: a fresh, empty location of that kind for one test.
* ``open_test_store``: opens stores at ``location`` (again, or with options)
  and closes every one of them when the test ends.
* ``store``: one store open at ``location``.

Another kind of store (PostgreSQL) is one more entry in :data:`KINDS`: a
class with the same two methods. Tests of one kind's insides (files, WAL,
the indexer, following) live beside it, in ``tests/store/sqlite/``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from pochta.store import Store, open_store
from pochta.store.sqlite.row import to_micros

StoreOpener = Callable[..., Store]


class StoreKind(Protocol):
    """One kind of store, as the contract tests make and reach into it."""

    def location(self, folder: Path) -> str:
        """Return a new, empty location (``folder`` is the test's own temporary folder)."""
        ...

    def set_created(self, location: str, id: str, moment: datetime) -> None:
        """Make message ``id`` look as if it arrived at ``moment`` (for ``before:``/``after:``)."""
        ...


class SQLiteKind:
    """The embedded store: a file in the test's folder."""

    def location(self, folder: Path) -> str:
        """Return ``folder/mail.db``."""
        return str(folder / "mail.db")

    def set_created(self, location: str, id: str, moment: datetime) -> None:
        """Update the row's ``created`` column in place."""
        with closing(sqlite3.connect(location)) as other:
            other.execute("UPDATE message SET created = ? WHERE id = ?", (to_micros(moment), id))
            other.commit()


KINDS: dict[str, StoreKind] = {"sqlite": SQLiteKind()}


@pytest.fixture(scope="session", params=sorted(KINDS))
def store_kind(request: pytest.FixtureRequest) -> StoreKind:
    return KINDS[request.param]


@pytest.fixture
def location(store_kind: StoreKind, tmp_path: Path) -> str:
    return store_kind.location(tmp_path)


@pytest.fixture
def open_test_store(location: str) -> Iterator[StoreOpener]:
    opened: list[Store] = []

    def open_at(**options: Any) -> Store:
        store = open_store(location, **options)
        opened.append(store)
        return store

    yield open_at
    for store in opened:
        store.close()


@pytest.fixture
def store(open_test_store: StoreOpener) -> Store:
    return open_test_store()
