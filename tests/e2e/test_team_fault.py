"""A PostgreSQL store under faults: the server going away mid-load, a catcher killed mid-load.

Senders keep ``pochta serve`` busy over SMTP from threads and record every
reply. Whatever was answered ``250`` must be in the database afterwards;
while PostgreSQL is away the answer is ``451`` (never ``250``), ``/readyz``
fails and the inbox says so; once it is back everything works again by
itself.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest

from tests.cluster import Cluster, Template
from tests.conftest import ServeProcess

Launch = Callable[..., ServeProcess]


@pytest.fixture
def cluster(postgres_template: Template) -> Iterator[Cluster]:
    """A PostgreSQL server of this test's own, to stop and start."""
    with postgres_template.start() as started:
        yield started


class Senders:
    """Threads sending messages to one catcher until told to stop; every reply is kept."""

    def __init__(self, catcher: ServeProcess, count: int = 3) -> None:
        self.acknowledged: list[str] = []
        self.refused: list[int] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(catcher, n), daemon=True)
            for n in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, catcher: ServeProcess, number: int) -> None:
        sent = 0
        while not self._stop.is_set():
            try:
                with smtplib.SMTP(*catcher.smtp, timeout=30) as client:
                    client.ehlo()
                    while not self._stop.is_set():
                        sent += 1
                        self._send_one(client, f"load {number}-{sent}")
            except (OSError, smtplib.SMTPException):
                time.sleep(0.05)  # the catcher went away: try again, or stop

    def _send_one(self, client: smtplib.SMTP, subject: str) -> None:
        client.mail("load@example.test")
        client.rcpt("team@example.test")
        code, reply = client.data(f"Subject: {subject}\r\n\r\nload\r\n".encode())
        with self._lock:
            if code == 250:
                self.acknowledged.append(reply.decode().rsplit(" ", 1)[-1].strip("[]"))
            else:
                self.refused.append(code)
                client.rset()

    def count(self) -> tuple[int, int]:
        with self._lock:
            return len(self.acknowledged), len(self.refused)

    def wait_until(self, done: Callable[[int, int], bool], within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while not done(*self.count()):
            assert time.monotonic() < deadline, f"senders stuck at {self.count()}"
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def stored(url: str, ids: list[str]) -> set[str]:
    """Return which of ``ids`` the database holds, with their bytes."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT m.id FROM pochta.message AS m JOIN pochta.message_raw AS r USING (seq)"
            " WHERE m.id = ANY(%s)",
            (ids,),
        )
        return {row[0] for row in rows}


@pytest.mark.slow
def test_postgresql_stopped_mid_load_loses_nothing_acknowledged_and_recovers(
    launch_serve: Launch, cluster: Cluster
) -> None:
    url = cluster.create_database()
    catcher = launch_serve(database=url)
    senders = Senders(catcher)
    try:
        senders.wait_until(lambda ok, refused: ok >= 20)
        cluster.stop()
        senders.wait_until(lambda ok, refused: refused >= 3)
        ready = catcher.get("/readyz")
        page = catcher.get("/")
        before = senders.count()[0]
        cluster.start()
        senders.wait_until(lambda ok, refused: ok >= before + 20)
    finally:
        senders.stop()
    assert (ready.status_code, "is not answering" in ready.json()["Error"]) == (503, True)
    assert (page.status_code, "The store is not answering" in page.text) == (503, True)
    assert set(senders.refused) == {451}
    assert stored(url, senders.acknowledged) == set(senders.acknowledged)
    assert catcher.get("/readyz").text == "ok"


def test_a_catcher_killed_mid_load_loses_nothing_it_acknowledged(
    launch_serve: Launch, postgres_url: str
) -> None:
    catcher = launch_serve(database=postgres_url)
    senders = Senders(catcher, count=4)
    try:
        senders.wait_until(lambda ok, refused: ok >= 50)
        catcher.kill()
    finally:
        senders.stop()
    acknowledged = senders.acknowledged
    assert stored(postgres_url, acknowledged) == set(acknowledged)
    # Another catcher takes over the database (and indexes what was left).
    again = launch_serve(database=postgres_url)
    total = httpx.get(f"{again.url}/api/v1/messages", timeout=10).json()["total"]
    assert total >= len(acknowledged)
