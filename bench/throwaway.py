"""A PostgreSQL database for the benchmarks: the one ``--postgres URL`` names, or a throwaway.

Without a URL, a throwaway cluster is started from Debian's PostgreSQL the way
the tests start theirs (tests/cluster.py), but with fsync on, so that its
commits are as durable as the SQLite store's ``synchronous=FULL`` ones it is
compared with. Each :func:`databases` call gives fresh, empty databases.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cluster import Template

__all__ = ["databases"]


@contextlib.contextmanager
def databases(url: str | None) -> Iterator[Callable[[], str]]:
    """Yield a function that makes a new database and returns its URL."""
    if url:
        import psycopg

        def on_server() -> str:
            name = f"pochta_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            return url.rsplit("/", 1)[0] + "/" + name

        yield on_server
        return
    with Template.create() as template, template.start(durable=True) as cluster:
        print(f"PostgreSQL: a throwaway cluster on port {cluster.port}, fsync on", file=sys.stderr)
        yield cluster.create_database
