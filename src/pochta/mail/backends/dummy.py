"""An email backend that does nothing: useful to switch sending off."""

from __future__ import annotations

from collections.abc import Sequence

from pochta.mail.backends.base import BaseEmailBackend, SendableMessage

__all__ = ["EmailBackend"]


class EmailBackend(BaseEmailBackend):
    """Send nothing, and report every message as sent. It takes no options."""

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Return the number of messages, doing nothing with them."""
        return len(list(email_messages))
