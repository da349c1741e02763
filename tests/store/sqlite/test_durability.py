"""A store killed with SIGKILL keeps every message whose add() had returned."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pochta.store import Envelope, open_store
from pochta.store.sqlite.store import SQLiteStore
from pochta.store.sqlite.writer import Writer

WRITER = """
import sys
from pochta.store import Envelope, open_store

store = open_store(sys.argv[1], durability=sys.argv[2])
envelope = Envelope("from@example.com", ("to@example.com",))
number = 0
while True:
    raw = b"Subject: %d\\r\\n\\r\\n" % number + bytes(range(256)) * (number % 50) + b"\\r\\n"
    print(number, store.add(raw, envelope), flush=True)
    number += 1
"""


def expected_raw(number: int) -> bytes:
    return b"Subject: %d\r\n\r\n" % number + bytes(range(256)) * (number % 50) + b"\r\n"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("durability", ["full", "normal"])
def test_acknowledged_messages_survive_sigkill(tmp_path: Path, durability: str) -> None:
    path = tmp_path / "mail.db"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), durability],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    acknowledged: dict[str, int] = {}
    try:
        while len(acknowledged) < 200:
            line = process.stdout.readline()
            assert line, "the writer process ended early"
            number, message_id = line.decode().split()
            acknowledged[message_id] = int(number)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # Lines printed before the kill but not yet read also count as acknowledged.
    for rest in process.stdout.read().decode().splitlines():
        late_number, late_id = rest.split()
        acknowledged[late_id] = int(late_number)
    process.stdout.close()
    with open_store(path) as store:
        assert {i: store.raw(i) for i in acknowledged} == {
            i: expected_raw(n) for i, n in acknowledged.items()
        }
        assert store.count()[0] >= len(acknowledged)


def test_the_store_runs_in_wal_mode_with_full_sync(sqlite_store: SQLiteStore) -> None:
    settings = sqlite_store._writer.run(
        lambda c: (
            c.execute("PRAGMA journal_mode").fetchone()[0],
            c.execute("PRAGMA synchronous").fetchone()[0],
        )
    )
    assert settings == ("wal", 2)  # 2 = FULL: each commit fsyncs the write-ahead log


def test_a_normal_store_syncs_its_log_soon_after_a_commit(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "mail.db", durability="normal") as store:
        writer = store._writer
        assert isinstance(writer, Writer)
        syncer = writer._syncer
        assert syncer is not None
        before = syncer.syncs
        store.add(b"Subject: one\r\n\r\nbody\r\n", Envelope("a@example.com", ("b@example.com",)))
        deadline = time.monotonic() + 10
        while syncer.syncs == before and time.monotonic() < deadline:
            time.sleep(0.01)
        synchronous = store._writer.run(lambda c: c.execute("PRAGMA synchronous").fetchone()[0])
    assert (syncer.syncs > before, synchronous) == (True, 1)  # 1 = NORMAL: no fsync in COMMIT


def test_a_full_store_has_no_syncer(sqlite_store: SQLiteStore) -> None:
    writer = sqlite_store._writer
    assert isinstance(writer, Writer) and writer._syncer is None


def test_a_normal_store_checkpoints_its_log_on_the_syncer_thread(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    envelope = Envelope("a@example.com", ("b@example.com",))

    def in_database_file() -> int:
        """Count the messages in the database file alone (immutable: no log is read)."""
        alone = sqlite3.connect(f"{path.absolute().as_uri()}?immutable=1", uri=True)
        try:
            return int(alone.execute("SELECT count(*) FROM message").fetchone()[0])
        except sqlite3.OperationalError:  # no such table: the schema too is only in the log
            return 0
        finally:
            alone.close()

    with SQLiteStore(path, durability="normal") as store:
        writer = store._writer
        assert isinstance(writer, Writer) and writer._syncer is not None
        # The writer's commits never checkpoint (that held their senders): the syncer does.
        assert writer.run(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        for number in range(200):  # 200 commits, thousands of log frames
            store.add(b"Subject: %d\r\n\r\n%s\r\n" % (number, b"x" * 3000), envelope)
        deadline = time.monotonic() + 10
        while in_database_file() < 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (in_database_file(), writer._syncer.checkpoints > 0) == (200, True)
    assert not Path(f"{path}-wal").exists()  # closed: the log went with the last connection


def test_a_full_store_checkpoints_as_sqlite_does(sqlite_store: SQLiteStore) -> None:
    autocheckpoint = sqlite_store._writer.run(
        lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    )
    assert autocheckpoint == 1000  # SQLite's default: the commit that fills the log copies it
