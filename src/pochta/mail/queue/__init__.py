"""pochta.mail.queue: the durable send queue, its worker, and a small API to look after it.

::

    from pochta.mail.queue import open_queue

    with open_queue() as queue:                   # EMAIL_QUEUE_PATH, default .pochta/queue.db
        print(queue.counts())                     # QueueCounts(pending=3, ..., failed=1)
        for message in queue.list([State.FAILED]):
            print(message.id, message.last_error)
            for recipient in message.recipients:    # Recipient(address, state, attempt, reply)
                print(" ", recipient.address, recipient.state, recipient.reply)
        queue.retry()                             # failed -> pending, for the failed recipients
        queue.purge()                             # forget the sent ones

Messages get there through the queue backend
(``EMAIL_BACKEND = "pochta.mail.backends.queue.EmailBackend"``) and leave
through :class:`Worker` (``pochta worker``). docs/sending.md tells the story.
"""

from __future__ import annotations

import os
from pathlib import Path

from pochta.exceptions import ConfigurationError
from pochta.mail import settings
from pochta.mail.queue.delivery import QueuedEmail, open_backend
from pochta.mail.queue.failure import Failure, Outcome, classify, judge, retry_delay
from pochta.mail.queue.file import Claim, MailQueue
from pochta.mail.queue.record import QueueCounts, QueuedMessage, Recipient, State
from pochta.mail.queue.worker import DEFAULT_LEASE, Worker, WorkerReport

__all__ = [
    "DEFAULT_LEASE",
    "Claim",
    "Failure",
    "MailQueue",
    "Outcome",
    "QueueCounts",
    "QueuedEmail",
    "QueuedMessage",
    "Recipient",
    "State",
    "Worker",
    "WorkerReport",
    "classify",
    "judge",
    "open_backend",
    "open_queue",
    "queue_path_setting",
    "retry_delay",
]


def queue_path_setting() -> Path:
    """Return the ``EMAIL_QUEUE_PATH`` setting as a path (default ``.pochta/queue.db``)."""
    value = settings.get_setting("EMAIL_QUEUE_PATH")
    if not isinstance(value, str | os.PathLike) or str(value) == "":
        raise ConfigurationError(
            f"EMAIL_QUEUE_PATH {value!r} is not a path; give the queue's file, "
            "e.g. .pochta/queue.db"
        )
    return Path(value)


def open_queue(path: str | os.PathLike[str] | None = None) -> MailQueue:
    """Open (making it if missing) the queue file at ``path``, else ``EMAIL_QUEUE_PATH``."""
    return MailQueue(queue_path_setting() if path is None else path)
