"""The team store: one PostgreSQL database shared by several ``pochta serve``.

Open it with :func:`pochta.store.open_store` and a ``postgresql://`` URL;
:class:`~pochta.store.postgres.store.PostgresStore` is the store itself.
psycopg 3 and psycopg-pool are needed (``pip install 'pochta[postgres]'``).
"""

from __future__ import annotations

from pochta.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
