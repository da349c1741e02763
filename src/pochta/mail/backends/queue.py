"""An email backend that queues messages in a file for ``pochta worker`` to deliver.

::

    EMAIL_BACKEND = "pochta.mail.backends.queue.EmailBackend"
    EMAIL_QUEUE_PATH = BASE_DIR / ".pochta" / "queue.db"        # the default: .pochta/queue.db
    EMAIL_QUEUE_BACKEND = "pochta.mail.backends.smtp.EmailBackend"  # what really delivers

``send_messages`` builds every message (so a bad header raises here, in the
request that sent it), writes the exact bytes with their envelope into the
queue in one transaction, and returns once that is on disk: the caller never
waits for an SMTP server. ``pochta worker`` delivers them through
``EMAIL_QUEUE_BACKEND``, trying each up to ``EMAIL_QUEUE_MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pochta.exceptions import ConfigurationError, InvalidMailer
from pochta.mail import settings
from pochta.mail.backends.base import BaseEmailBackend, SendableMessage
from pochta.mail.log import log_batch
from pochta.mail.queue import MailQueue, open_queue, queue_path_setting
from pochta.mail.submission import Submission, build_submission

__all__ = ["EmailBackend"]


class EmailBackend(BaseEmailBackend):
    """Queue messages durably instead of sending them; ``pochta worker`` sends them.

    Arguments left as None take their setting: ``path`` is ``EMAIL_QUEUE_PATH``,
    ``delivery_backend`` (the dotted path of the backend that delivers)
    ``EMAIL_QUEUE_BACKEND``, ``max_attempts`` ``EMAIL_QUEUE_MAX_ATTEMPTS``.
    Django's contract: the count queued is returned; with ``fail_silently`` a
    failure returns 0 instead of raising. The file is opened by :meth:`open`
    (or each send) and closed by :meth:`close`.
    """

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        path: str | os.PathLike[str] | None = None,
        delivery_backend: str | None = None,
        max_attempts: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.fail_silently = fail_silently
        if self.alias is not None and (not delivery_backend or delivery_backend == self.alias):
            # A MAILERS entry names the mailer that delivers; the EMAIL_QUEUE_* settings
            # are pochta's own (not deprecated) and stay the defaults of the other options,
            # so the backend and ``pochta worker`` agree on the file.
            raise InvalidMailer(
                "OPTIONS must define 'delivery_backend': the mailer alias (or dotted "
                "path) that delivers, e.g. 'smtp', other than this one.",
                alias=self.alias,
            )
        self.path = Path(path) if path is not None else queue_path_setting()
        self.delivery_backend = delivery_backend or settings.get_str("EMAIL_QUEUE_BACKEND")
        if self.delivery_backend == f"{__name__}.EmailBackend":
            raise ConfigurationError(
                "EMAIL_QUEUE_BACKEND names the queue backend itself, so nothing would ever be "
                "sent; give the backend that delivers, e.g. pochta.mail.backends.smtp.EmailBackend"
            )
        attempts = max_attempts or settings.get_setting("EMAIL_QUEUE_MAX_ATTEMPTS")
        if not isinstance(attempts, int) or attempts < 1:
            raise ConfigurationError(
                f"EMAIL_QUEUE_MAX_ATTEMPTS {attempts!r} must be a whole number of at least 1; "
                "give e.g. 8"
            )
        self.max_attempts = attempts
        self.queue: MailQueue | None = None
        self._lock = threading.RLock()

    def open(self) -> bool:
        """Open the queue file unless it is open; return whether it was opened now."""
        with self._lock:
            if self.queue is not None:
                return False
            try:
                self.queue = open_queue(self.path)
            except Exception:
                if not self.fail_silently:
                    raise
                return False
            return True

    def close(self) -> None:
        """Close the queue file (what was queued is on disk already)."""
        with self._lock:
            queue, self.queue = self.queue, None
            if queue is not None:
                queue.close()

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Queue every message that has recipients, in one transaction; return how many."""
        if not email_messages:
            return 0
        started = time.monotonic()
        submissions: list[Submission] = []
        try:
            submissions = [build_submission(m) for m in email_messages if m.recipients()]
            queued = self._enqueue(submissions)
        except Exception as error:
            log_batch(submissions, 0, backend=self, started=started, error=error)
            if not self.fail_silently:
                raise
            return 0
        log_batch(submissions, len(queued), backend=self, started=started, outcome="queued")
        self.queued(queued)
        return len(queued)

    def queued(self, ids: list[int]) -> None:
        """Called with the ids of the messages just queued (on disk); the default does nothing.

        :class:`pochta.django.tasks.EmailBackend` enqueues a Django task for each here.
        """

    def _enqueue(self, submissions: list[Submission]) -> list[int]:
        if not submissions:
            return []
        with self._lock:
            created = self.open()
            if self.queue is None:
                return []
            try:
                ids = self.queue.enqueue(
                    submissions, backend=self.delivery_backend, max_attempts=self.max_attempts
                )
            finally:
                if created:
                    self.close()
        return ids
