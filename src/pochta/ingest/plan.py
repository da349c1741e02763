"""What an import finds and reports: messages with their origin, skipped inputs, totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FORMAT_NAMES", "Found", "ImportReport", "Planned", "Skipped"]

#: The formats pochta reads, by the short name used in reports.
FORMAT_NAMES = {
    "eml": "message file",
    "mbox": "mbox",
    "maildir": "Maildir",
    "log": "file-backend log",
}


@dataclass(frozen=True, slots=True)
class Planned:
    """One input to read: a file (or Maildir folder), its format and size in bytes.

    ``written`` is when it was last written (``st_mtime_ns``; for a Maildir its
    newest message): the files of a folder are imported in that order.
    """

    path: Path
    format: str
    size: int
    written: int = 0


@dataclass(frozen=True, slots=True)
class Found:
    """One message read from an input, its bytes as the input holds them."""

    raw: bytes
    origin: str  # "mail/a.eml", "inbox.mbox message 3"
    format: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input (or one message of it) that was not imported, and why."""

    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: messages stored per format, what was skipped, paths missing."""

    imported: dict[str, int] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Return how many messages were stored."""
        return sum(self.imported.values())
