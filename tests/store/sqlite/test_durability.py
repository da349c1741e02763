"""A store killed with SIGKILL keeps every message whose add() had returned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pochta.store import open_store
from pochta.store.sqlite.store import SQLiteStore

WRITER = """
import sys
from pochta.store import Envelope, open_store

store = open_store(sys.argv[1])
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
def test_acknowledged_messages_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
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
