"""The embedded store: one SQLite file in WAL mode, written by one thread, FTS5 search.

:func:`pochta.store.open_store` opens it for a file path;
:class:`~pochta.store.sqlite.store.SQLiteStore` holds its collaborators.
"""

from __future__ import annotations

__all__: list[str] = []
