"""Bring mail into a store from files: ``.eml`` files, mbox, Maildir and file-backend logs.

``pochta import PATH...`` uses :func:`import_paths`; ``pochta serve --watch
DIR`` uses :class:`Watcher` to follow a folder that Django's file backend
writes to. See docs/import.md.

::

    from pochta.ingest import import_paths
    from pochta.store import open_store

    with open_store(".pochta/mail.db") as store:
        report = import_paths(store, [Path("sent_emails")])
    print(report.total, report.skipped)
"""

from __future__ import annotations

from pochta.ingest.filelog import split_log
from pochta.ingest.plan import Found, ImportReport, Planned, Skipped
from pochta.ingest.report import report_lines
from pochta.ingest.run import DEFAULT_MAX_SIZE, import_paths

__all__ = [
    "DEFAULT_MAX_SIZE",
    "Found",
    "ImportReport",
    "Planned",
    "Skipped",
    "import_paths",
    "report_lines",
    "split_log",
]
