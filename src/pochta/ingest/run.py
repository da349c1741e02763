"""Import inputs into a store: read, check, and store in groups that share commits.

Messages are stored in the order they were found (see :mod:`pochta.ingest.detect`
for the order of files; a file's messages in their order in it), so the list
shows the last one written as the newest. Many are handed to the store at
once, to share its commits; :func:`add_in_order` keeps them in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pochta.ingest.detect import plan
from pochta.ingest.formats import read_input
from pochta.ingest.plan import Found, ImportReport, Planned, Skipped
from pochta.message.envelope import Envelope, envelope_for
from pochta.store import Store
from pochta.store.sqlite.store import PREPARE_INLINE_BELOW

__all__ = ["DEFAULT_MAX_SIZE", "WINDOW", "add_in_order", "import_paths", "import_planned"]

DEFAULT_MAX_SIZE = 50 * 1024 * 1024
"""Largest message imported, in bytes: the default of ``pochta serve --max-message-size``."""

WINDOW = 256
"""Messages handed to the store at once; the store commits them in groups."""

Progress = Callable[[int], None]


def import_paths(
    store: Store,
    paths: Sequence[Path],
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    source: str = "import",
    on_plan: Callable[[list[Planned]], Progress | None] | None = None,
) -> ImportReport:
    """Import every message found under ``paths`` into ``store``; return the report.

    ``on_plan`` is called with the inputs found before reading starts and may
    return a function told the size in bytes of each input once it is read
    (the CLI's progress bar).
    """
    planned, skipped, missing = plan(paths)
    report = ImportReport(skipped=skipped, missing=missing)
    progress = on_plan(planned) if on_plan is not None else None
    asyncio.run(import_planned(store, planned, report, max_size=max_size, source=source,
                               progress=progress))  # fmt: skip
    return report


async def import_planned(
    store: Store,
    planned: Sequence[Planned],
    report: ImportReport,
    *,
    max_size: int,
    source: str,
    progress: Progress | None = None,
) -> None:
    """Store the messages of ``planned``, adding counts and skips to ``report``."""
    pending: set[asyncio.Task[str]] = set()
    try:
        for item in planned:
            for found in _messages(item, max_size):
                if isinstance(found, Skipped):
                    report.skipped.append(found)
                    continue
                if len(pending) >= WINDOW:
                    done, pending = await asyncio.wait(
                        pending, return_when=asyncio.FIRST_COMPLETED
                    )
                    _collect(done)
                envelope = envelope_for(found.raw, source=source)
                pending.add(await add_in_order(store, found.raw, envelope))
                report.imported[found.format] = report.imported.get(found.format, 0) + 1
            if progress is not None:
                progress(item.size)
    finally:
        # Every message handed over is settled before the store closes; the
        # first failure (a full disk, say) is raised once, not per message.
        results = await asyncio.gather(*pending, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    # Every message indexed and announced before the store is closed.
    await asyncio.to_thread(store.flush)


async def add_in_order(store: Store, raw: bytes, envelope: Envelope) -> asyncio.Task[str]:
    """Hand ``raw`` to ``store`` after every message handed over before it; return its task.

    Tasks start in the order they were made, and a small message joins the
    store's queue as its task starts, so small messages keep their order while
    they share commits. A large one is first compressed on a worker thread
    (``PREPARE_INLINE_BELOW``), where later messages could overtake it: it is
    awaited before anything after it is handed over.
    """
    task = asyncio.create_task(store.aadd(raw, envelope))
    if len(raw) >= PREPARE_INLINE_BELOW:
        await asyncio.wait({task})
    return task


def _collect(done: set[asyncio.Task[str]]) -> None:
    for task in done:
        task.result()  # a store error (disk full) stops the import


def _messages(item: Planned, max_size: int) -> Iterator[Found | Skipped]:
    if item.format == "eml" and item.size > max_size:
        yield Skipped(str(item.path), _too_large(item.size, max_size))
        return
    for found in read_input(item):
        if isinstance(found, Found):
            if len(found.raw) > max_size:
                yield Skipped(found.origin, _too_large(len(found.raw), max_size))
                continue
            if not found.raw.strip():
                yield Skipped(found.origin, "empty message")
                continue
        yield found


def _too_large(size: int, limit: int) -> str:
    return f"too large ({_bytes(size)}; the limit is {_bytes(limit)}, see --max-message-size)"


def _bytes(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"
