"""The embedded store: one SQLite file in WAL mode, written by one thread, FTS5 search.

:func:`open_store` (re-exported by :mod:`pochta.store`) opens it; the
:class:`~pochta.store.sqlite.store.SQLiteStore` holds its collaborators.
"""

from __future__ import annotations

__all__: list[str] = []
