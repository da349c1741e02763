"""Fixtures for the ways in (store backend, import, watch)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_database_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """``POCHTA_DATABASE`` from the environment must not redirect the tests' imports."""
    monkeypatch.delenv("POCHTA_DATABASE", raising=False)
