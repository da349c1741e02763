"""An email backend that does nothing: useful to switch sending off."""

from __future__ import annotations

import time
from collections.abc import Sequence

from pochta.mail.backends.base import BaseEmailBackend, SendableMessage
from pochta.mail.log import log_batch, send_log_enabled
from pochta.mail.submission import Submission

__all__ = ["EmailBackend"]


class EmailBackend(BaseEmailBackend):
    """Send nothing, and report every message as sent. It takes no options."""

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Return the number of messages, doing nothing with them (but the send log)."""
        messages = list(email_messages)
        if send_log_enabled():
            # Not rendered (a dummy backend costs nothing), so no Message-ID is known.
            submissions = [
                Submission(str(m.from_email), list(m.recipients()), b"") for m in messages
            ]
            log_batch(
                submissions,
                len(messages),
                backend=self,
                started=time.monotonic(),
                outcome="dropped",
            )
        return len(messages)
