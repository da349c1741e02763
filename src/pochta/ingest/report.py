"""The lines ``pochta import`` prints: what was imported, then each skip and missing path."""

from __future__ import annotations

from pathlib import Path

from pochta.ingest.plan import FORMAT_NAMES, ImportReport

__all__ = ["report_lines"]


def report_lines(report: ImportReport, database: Path | str) -> list[str]:
    """Return the summary of ``report`` as lines of text, the first one the total.

    ::

        imported 4 messages into .pochta/mail.db (3 from file-backend log, 1 from mbox)
        skipped notes.txt: not a message (it does not start with mail headers)
        missing nope.eml: no such file or folder
    """
    parts = [
        f"{count} from {FORMAT_NAMES[name]}"
        for name, count in sorted(report.imported.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    noun = "message" if report.total == 1 else "messages"
    first = f"imported {report.total} {noun} into {database}"
    if parts:
        first += f" ({', '.join(parts)})"
    lines = [first]
    skipped = sorted(report.skipped, key=lambda skip: skip.where)
    lines.extend(f"skipped {skip.where}: {skip.reason}" for skip in skipped)
    lines.extend(f"missing {path}: no such file or folder" for path in report.missing)
    return lines
