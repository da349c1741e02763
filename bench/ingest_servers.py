"""The servers bench/ingest.py measures, each run in its own process.

Run: python bench/ingest_servers.py SERVER PORT FOLDER, SERVER one of
aiosmtpd, pochta-discard, pochta-sqlite, pochta-store-normal.

``pochta-sqlite`` is a BENCH-ONLY durable writer, not pochta's store: raw
bytes into one SQLite table (WAL, synchronous=FULL, group commit), no parsing.
``pochta-store-normal`` is pochta's SMTP server and pochta's store, as in
``pochta serve`` but without the HTTP side, opened with
``durability="normal"`` (synchronous=NORMAL: no fsync per commit).
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

from pochta.server.smtp.server import SMTPSettings, start_smtp_server
from pochta.store import Envelope

SIZE_LIMIT = 64 * 2**20


def serve_aiosmtpd(port: int) -> None:
    from aiosmtpd.smtp import SMTP

    class Discard:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    loop = asyncio.new_event_loop()
    handler = Discard()
    server = loop.create_server(
        lambda: SMTP(handler, data_size_limit=SIZE_LIMIT, loop=loop), "127.0.0.1", port
    )
    loop.run_until_complete(server)
    loop.run_forever()


def serve_pochta_discard(port: int) -> None:
    async def discard(raw: bytes, envelope: Envelope) -> str:
        return "discarded"

    async def main() -> None:
        settings = SMTPSettings(max_message_size=SIZE_LIMIT)
        await start_smtp_server(discard, settings, host="127.0.0.1", port=port)
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_pochta_sqlite(port: int, folder: Path) -> None:
    """BENCH-ONLY durable writer: not pochta's store, no parsing, just committed bytes."""
    pending: queue.SimpleQueue[tuple[bytes, Envelope, asyncio.Future[str]]] = queue.SimpleQueue()

    def write(loop: asyncio.AbstractEventLoop) -> None:
        db = sqlite3.connect(folder / "bench-only.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS message (id INTEGER PRIMARY KEY, env TEXT, raw BLOB)"
        )
        while True:
            group = [pending.get()]
            while not pending.empty() and len(group) < 256:
                group.append(pending.get())
            db.execute("BEGIN")
            ids = [
                db.execute(
                    "INSERT INTO message (env, raw) VALUES (?, ?)", (repr(env), raw)
                ).lastrowid
                for raw, env, _ in group
            ]
            db.execute("COMMIT")
            for (_, _, future), row in zip(group, ids, strict=True):
                loop.call_soon_threadsafe(future.set_result, str(row))

    async def deliver(raw: bytes, envelope: Envelope) -> str:
        future = asyncio.get_running_loop().create_future()
        pending.put((raw, envelope, future))
        return await future

    async def main() -> None:
        loop = asyncio.get_running_loop()
        threading.Thread(target=write, args=(loop,), daemon=True).start()
        await start_smtp_server(
            deliver, SMTPSettings(max_message_size=SIZE_LIMIT), host="127.0.0.1", port=port
        )
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_pochta_store(port: int, folder: Path, durability: str) -> None:
    """pochta's SMTP server delivering into pochta's store (aadd), in this process."""
    from pochta.store import open_store

    async def main() -> None:
        with open_store(folder / f"store-{durability}.db", durability=durability) as store:
            settings = SMTPSettings(max_message_size=SIZE_LIMIT)
            await start_smtp_server(store.aadd, settings, host="127.0.0.1", port=port)
            await asyncio.Event().wait()

    asyncio.run(main())


def main() -> None:
    name, port, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    if name == "aiosmtpd":
        serve_aiosmtpd(port)
    elif name == "pochta-discard":
        serve_pochta_discard(port)
    elif name == "pochta-store-normal":
        serve_pochta_store(port, folder, "normal")
    else:
        serve_pochta_sqlite(port, folder)


if __name__ == "__main__":
    main()
