"""The PostgreSQL store's schema: made on open, once, even when catchers start together."""

from __future__ import annotations

import threading

import psycopg
import pytest

from pochta.exceptions import StoreFormatError, StoreUnavailableError
from pochta.store.postgres import PostgresStore
from pochta.store.postgres.migration import migrations
from tests.cluster import Cluster, free_port


def versions(url: str) -> list[int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT version FROM pochta.schema_version ORDER BY version")
        return [row[0] for row in rows]


def test_opening_an_empty_database_applies_every_step_once(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        assert store.schema == migrations()[-1].version
    with PostgresStore(postgres_url):
        pass
    assert versions(postgres_url) == [step.version for step in migrations()]


def test_stores_opening_at_once_on_an_empty_database_all_succeed(postgres_url: str) -> None:
    opened: list[PostgresStore] = []
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            opened.append(PostgresStore(postgres_url))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in opened:
        store.close()
    assert (failures, len(opened)) == ([], 4)
    assert versions(postgres_url) == [step.version for step in migrations()]


def test_a_database_of_a_newer_pochta_is_refused(postgres_url: str) -> None:
    PostgresStore(postgres_url).close()
    with psycopg.connect(postgres_url) as connection:
        connection.execute("INSERT INTO pochta.schema_version (version, name) VALUES (9999, 'x')")
    with pytest.raises(StoreFormatError, match="schema 9999, newer than this pochta"):
        PostgresStore(postgres_url)


def test_a_missing_database_is_named_with_the_fix(postgres_cluster: Cluster) -> None:
    with pytest.raises(StoreUnavailableError, match='database "nothing_here" does not exist'):
        PostgresStore(postgres_cluster.url("nothing_here"))


def test_a_server_that_does_not_answer_is_said_so_with_no_password() -> None:
    url = f"postgresql://pochta:secret@127.0.0.1:{free_port()}/pochta"
    with pytest.raises(StoreUnavailableError) as raised:
        PostgresStore(url)
    assert "is not answering" in str(raised.value)
    assert "secret" not in str(raised.value)
