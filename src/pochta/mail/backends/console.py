"""An email backend that writes each message to a stream (stdout by default)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, TextIO

from pochta.mail.backends.base import BaseEmailBackend, SendableMessage
from pochta.mail.log import log_batch, send_log_enabled
from pochta.mail.submission import Submission

__all__ = ["SEPARATOR", "EmailBackend", "render_message"]

# Django ends every message with a line of 79 dashes.
SEPARATOR = b"-" * 79


def render_message(message: SendableMessage) -> bytes:
    """Return ``message`` as the console and file backends write it (LF line ends)."""
    return message.message().as_bytes()


class EmailBackend(BaseEmailBackend):
    """Print messages instead of sending them, followed by a line of 79 dashes.

    Options: ``stream`` (default ``sys.stdout`` at creation) receives the text;
    ``fail_silently``. Writes are serialised with a lock, so threads do not
    interleave messages.
    """

    def __init__(
        self, fail_silently: bool = False, *, stream: TextIO | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.fail_silently = fail_silently
        self.stream: Any = sys.stdout if stream is None else stream
        self._lock = threading.RLock()

    def write_message(self, data: bytes) -> None:
        """Write one rendered message and the separator line to the stream."""
        self.stream.write(data.decode("utf-8", errors="replace") + "\n")
        self.stream.write(SEPARATOR.decode("ascii") + "\n")

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Write every message; return how many were written (0 for none)."""
        if not email_messages:
            return 0
        count = 0
        started = time.monotonic()
        rendered: list[bytes] = []
        with self._lock:
            try:
                # Render all first: a bad header stops the batch before anything is written.
                rendered = [render_message(message) for message in email_messages]
                stream_created = self.open()
                try:
                    for data in rendered:
                        self.write_message(data)
                        self.stream.flush()
                        count += 1
                finally:
                    if stream_created:
                        self.close()
            except Exception as error:
                self._log(email_messages, rendered, count, started, error)
                if not self.fail_silently:
                    raise
                return count
        self._log(email_messages, rendered, count, started, None)
        return count

    def _log(
        self,
        messages: Sequence[SendableMessage],
        rendered: list[bytes],
        done: int,
        started: float,
        error: BaseException | None,
    ) -> None:
        if not send_log_enabled() or not rendered:
            return
        submissions = [
            Submission(str(m.from_email), list(m.recipients()), data)
            for m, data in zip(messages, rendered, strict=False)
        ]
        log_batch(submissions, done, backend=self, started=started, outcome="written", error=error)
