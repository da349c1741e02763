"""The store contract's fixtures: every test that asks for them runs against each kind of store.

* ``store_kind`` (session scope, tests/conftest.py; parametrised over
  SQLite and PostgreSQL, :mod:`tests.kind`): how to make a location of that
  kind and reach beneath the contract where a test must.
* ``location``: a fresh, empty location of that kind for one test.
* ``open_test_store``: opens stores at ``location`` (again, or with options)
  and closes every one of them when the test ends.
* ``store``: one store open at ``location``.

Tests of one kind's insides (files, WAL, the indexer, following) live
beside it, in ``tests/store/sqlite/`` and ``tests/store/postgres/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pochta.store import Store, open_store
from tests.kind import StoreKind

StoreOpener = Callable[..., Store]


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
