"""An email backend for tests: messages go to the list ``pochta.mail.outbox``."""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from typing import Any

import pochta.mail
from pochta.mail.backends.base import BaseEmailBackend, SendableMessage
from pochta.mail.log import log_batch, send_log_enabled
from pochta.mail.submission import Submission

__all__ = ["EmailBackend"]


class EmailBackend(BaseEmailBackend):
    """Keep sent messages in ``pochta.mail.outbox`` instead of sending them.

    The list is created when the first backend of this kind is made (as Django
    does), and holds a copy of each message object as it was when sent, whose
    ``sent_using`` is this backend's alias (``None`` when it was made without
    ``MAILERS``). It takes no options (not even ``fail_silently``), as Django's.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django 6.1 keeps *args here until Django 2028 (a positional fail_silently).
        super().__init__(*args, **kwargs)
        if not hasattr(pochta.mail, "outbox"):
            pochta.mail.outbox = []

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Append a copy of each message to the outbox; return how many."""
        if not hasattr(pochta.mail, "outbox"):
            pochta.mail.outbox = []
        # Building each message checks its headers, as sending would; all are checked
        # before any is kept, so a bad one keeps none of the batch.
        started = time.monotonic()
        messages = list(email_messages)
        built = [message.message() for message in messages]
        copies = [copy.deepcopy(message) for message in messages]
        for sent in copies:
            # Django 6.1: which mailer sent it (tests assert on it).
            sent.sent_using = self.alias  # type: ignore[attr-defined]
        pochta.mail.outbox.extend(copies)
        if send_log_enabled():
            submissions = [
                Submission(str(m.from_email), list(m.recipients()), msg.as_bytes())
                for m, msg in zip(messages, built, strict=True)
            ]
            log_batch(submissions, len(messages), backend=self, started=started, outcome="kept")
        return len(copies)
