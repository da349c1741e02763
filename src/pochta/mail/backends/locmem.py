"""An email backend for tests: messages go to the list ``pochta.mail.outbox``."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import pochta.mail
from pochta.mail.backends.base import BaseEmailBackend, SendableMessage

__all__ = ["EmailBackend"]


class EmailBackend(BaseEmailBackend):
    """Keep sent messages in ``pochta.mail.outbox`` instead of sending them.

    The list is created when the first backend of this kind is made (as Django
    does), and holds a copy of each message object as it was when sent.
    """

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        if not hasattr(pochta.mail, "outbox"):
            pochta.mail.outbox = []

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Append a copy of each message to the outbox; return how many."""
        if not hasattr(pochta.mail, "outbox"):
            pochta.mail.outbox = []
        # Building each message checks its headers, as sending would; all are checked
        # before any is kept, so a bad one keeps none of the batch.
        messages = list(email_messages)
        for message in messages:
            message.message()
        pochta.mail.outbox.extend(copy.deepcopy(message) for message in messages)
        return len(messages)
