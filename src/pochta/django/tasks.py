"""Deliver queued mail through Django's tasks framework (``django.tasks``, Django 6.0+).

::

    EMAIL_BACKEND = "pochta.django.tasks.EmailBackend"

Each message is written to the queue file first, exactly as the queue
backend does (durable before ``send_messages`` returns), then a task
:func:`deliver` is enqueued with its id on the project's default task
backend. The task delivers that one message through ``EMAIL_QUEUE_BACKEND``
as ``pochta worker`` would; a transient failure leaves it pending for the next
run of ``pochta worker`` (keep one in cron as the safety net). A task backend
that cannot take the task (its broker down) costs no message: it is queued
already, so ``send_messages`` still counts it and logs a WARNING on
``pochta.django.tasks`` that ``pochta worker`` will deliver it. docs/sending.md
says when to pick which.
"""

from __future__ import annotations

import logging
from typing import Any

from django.tasks import task

from pochta.mail.backends.queue import EmailBackend as QueueEmailBackend
from pochta.mail.queue import Worker, open_queue

__all__ = ["EmailBackend", "deliver"]

logger = logging.getLogger(__name__)


@task()
def deliver(queue_path: str, message: int) -> str | None:
    """Deliver the queued message ``message`` of the queue file ``queue_path``.

    Return its state afterwards (``sent``, ``pending`` for a retry later,
    ``failed``), or None when it was no longer pending.
    """
    with open_queue(queue_path) as queue:
        state = Worker(queue).deliver(message)
    return None if state is None else str(state)


class EmailBackend(QueueEmailBackend):
    """The queue backend, plus one Django task per queued message to deliver it."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)

    def queued(self, ids: list[int]) -> None:
        """Enqueue :func:`deliver` for each message just queued (already on disk)."""
        for message in ids:
            try:
                deliver.enqueue(str(self.path.absolute()), message)
            except Exception as error:  # the message is safe in the queue file
                logger.warning(
                    "queued message %d was not given to the task backend (%s: %s); "
                    "pochta worker will deliver it from %s",
                    message,
                    type(error).__name__,
                    error,
                    self.path,
                )
