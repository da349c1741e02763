"""Tell what each input is: a message file, an mbox, a Maildir, a file-backend log, or none.

A folder is a Maildir when it holds ``cur`` and ``new``; any other folder is
walked (hidden names skipped) and each file is judged by its first bytes:
``From `` starts an mbox; a line of 79 dashes (or the ``.log`` suffix) makes a
file-backend log; a header block (see :func:`header_block`) a message file.

The inputs found in a folder are read in the order they were written (last
modification time, then name): Django's file backend names its logs
``YYYYMMDD-HHMMSS-<id>.log``, and two connections in the same second give
names that sort either way, so name order could make the first message sent
the newest. Paths given one by one keep the order they were given in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from pochta.ingest.plan import Planned, Skipped

__all__ = ["HEAD", "SEPARATOR_LINE", "header_block", "looks_like_message", "plan"]

HEAD = 64 * 1024  # bytes read to judge a file
SEPARATOR_LINE = re.compile(rb"(?:^|\n)-{79}\r?\n")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:")
_KNOWN_HEADER = re.compile(
    rb"(?im)^(from|to|subject|date|message-id|mime-version|content-type)[ \t]*:"
)


def header_block(data: bytes, *, complete: bool) -> bool | None:
    """Tell whether ``data`` starts with a message's header block.

    A header block is header lines (``Name: value``) and their continuation
    lines up to a blank line (or the end), naming at least one of From, To,
    Subject, Date, Message-ID, MIME-Version or Content-Type. Returns None
    when ``data`` may still grow (``complete`` false) and what is there so
    far could be the start of one.
    """
    blank = _BLANK_LINE.search(data)
    head = data[: blank.start()] if blank else data
    complete = complete or blank is not None
    lines = head.splitlines()
    # Until the data is complete, its last line may be cut short: judge whole lines only.
    checked = lines if complete or head.endswith(b"\n") else lines[:-1]
    for number, line in enumerate(checked):
        if not (_HEADER_LINE.match(line) or (number and line[:1] in (b" ", b"\t"))):
            return False
    if not complete:
        return None
    return _KNOWN_HEADER.search(head) is not None


def looks_like_message(data: bytes) -> bool:
    """Tell whether ``data`` (a file's first bytes) starts with a message's header block."""
    return header_block(data[:HEAD].lstrip(b"\r\n"), complete=True) is True


def plan(paths: Sequence[Path]) -> tuple[list[Planned], list[Skipped], list[str]]:
    """Return the inputs to read, the skipped ones with the reason, and the missing paths."""
    planned: list[Planned] = []
    skipped: list[Skipped] = []
    missing: list[str] = []
    seen: set[Path] = set()
    for path in paths:
        if not os.path.lexists(path):
            missing.append(str(path))
            continue
        before = len(planned) + len(skipped)
        for item in sorted(_judge_tree(path), key=_write_order):
            if isinstance(item, Planned):
                real = item.path.resolve()
                if real in seen:
                    skipped.append(Skipped(str(item.path), "given twice; imported once"))
                    continue
                seen.add(real)
                planned.append(item)
            else:
                skipped.append(item)
        if len(planned) + len(skipped) == before:
            skipped.append(Skipped(str(path), "a folder without mail files"))
    return planned, skipped, missing


def _write_order(item: Planned | Skipped) -> tuple[int, str]:
    # sorted() is stable and skips carry no time: they stay where the walk met them.
    if isinstance(item, Skipped):
        return (0, "")
    return (item.written, str(item.path))


def _judge_tree(path: Path, walked: set[Path] | None = None) -> Iterator[Planned | Skipped]:
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            yield Planned(path, "maildir", *_folder_size(path))
            return
        walked = set() if walked is None else walked
        if path.resolve() in walked:  # a link back up the tree
            return
        walked.add(path.resolve())
        try:
            children = sorted(path.iterdir())
        except OSError as error:
            yield Skipped(str(path), f"cannot read the folder ({error.strerror})")
            return
        for child in children:
            if not child.name.startswith("."):
                yield from _judge_tree(child, walked)
        return
    yield _judge_file(path)


def _judge_file(path: Path) -> Planned | Skipped:
    if not path.is_file():
        return Skipped(str(path), "not a regular file")
    try:
        with path.open("rb") as file:
            head = file.read(HEAD)
            stat = os.fstat(file.fileno())
            size, written = stat.st_size, stat.st_mtime_ns
    except OSError as error:
        return Skipped(str(path), f"cannot read the file ({error.strerror})")
    if not head.strip():
        return Skipped(str(path), "empty file")
    if b"\x00" in head:
        return Skipped(str(path), "binary file, not mail")
    if head.startswith(b"From "):
        return Planned(path, "mbox", size, written)
    if looks_like_message(head):
        is_log = SEPARATOR_LINE.search(head) is not None or path.suffix == ".log"
        return Planned(path, "log" if is_log else "eml", size, written)
    return Skipped(str(path), "not a message (it does not start with mail headers)")


def _folder_size(path: Path) -> tuple[int, int]:
    """Return the bytes of a Maildir's messages and when the newest was written."""
    total = newest = 0
    for sub in ("cur", "new"):
        for entry in os.scandir(path / sub):
            if entry.is_file():
                stat = entry.stat()
                total += stat.st_size
                newest = max(newest, stat.st_mtime_ns)
    return total, newest
