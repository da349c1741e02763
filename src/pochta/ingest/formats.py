"""Read the messages out of each kind of input; a problem skips that input, never the import."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator

from pochta.ingest.detect import looks_like_message
from pochta.ingest.filelog import split_log
from pochta.ingest.plan import Found, Planned, Skipped

__all__ = ["read_input"]


def read_input(item: Planned) -> Iterator[Found | Skipped]:
    """Yield every message of ``item`` (or why it, or one of its messages, was skipped)."""
    try:
        if item.format == "mbox":
            yield from _read_mbox(item)
        elif item.format == "maildir":
            yield from _read_maildir(item)
        elif item.format == "log":
            yield from _read_log(item)
        else:
            yield Found(item.path.read_bytes(), str(item.path), "eml")
    except OSError as error:
        yield Skipped(str(item.path), f"cannot read it ({error.strerror or error})")
    except (mailbox.Error, ValueError) as error:
        yield Skipped(str(item.path), f"cannot read it as {item.format} ({error})")


def _read_mbox(item: Planned) -> Iterator[Found | Skipped]:
    box = mailbox.mbox(item.path, create=False)
    try:
        for number, key in enumerate(box.iterkeys(), 1):
            # get_bytes leaves out the "From " line that starts each message.
            raw = box.get_bytes(key)
            where = f"{item.path} message {number}"
            if looks_like_message(raw):
                yield Found(raw, where, "mbox")
            else:
                yield Skipped(where, "not a message (it does not start with mail headers)")
    finally:
        box.close()


def _read_maildir(item: Planned) -> Iterator[Found]:
    box = mailbox.Maildir(item.path, factory=None, create=False)
    for key in sorted(box.iterkeys()):  # keys start with the delivery time
        yield Found(box.get_bytes(key), f"{item.path} {key}", "maildir")


def _read_log(item: Planned) -> Iterator[Found]:
    messages, _ = split_log(item.path.read_bytes(), final=True)
    for number, (_, raw) in enumerate(messages, 1):
        yield Found(raw, f"{item.path} message {number}", "log")
