"""The SQLite store's own fixtures: ``sqlite_store``, an :class:`SQLiteStore` in ``tmp_path``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pochta.store.sqlite.store import SQLiteStore


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "mail.db") as opened:
        yield opened
