"""What the send queue holds: one queued message, its recipients, and the counts by state."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["QueueCounts", "QueuedMessage", "Recipient", "State"]


class State(enum.StrEnum):
    """Where a queued message is in its life.

    ``pending`` waits for its next try (now or later); ``sending`` is leased
    by a worker that is delivering it; ``sent`` was accepted by the backend;
    ``failed`` was refused for good or ran out of attempts.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Recipient:
    """One envelope recipient of a queued message, and what became of it.

    ``state`` is ``pending`` (still to be delivered: not tried yet, or
    refused with a 4xx, or the attempt broke off), ``sent`` (the server
    accepted it) or ``failed`` (refused with a 5xx, or out of attempts).
    ``attempt`` is the message's attempt that gave ``reply`` (0: none yet);
    ``reply`` is the server's answer to this recipient when it was refused,
    or why the attempt failed.
    """

    address: str
    state: State
    attempt: int = 0
    reply: str = ""

    def as_json(self) -> dict[str, Any]:
        """Return the recipient as ``pochta queue list --json`` prints it."""
        return {
            "address": self.address,
            "state": str(self.state),
            "attempt": self.attempt,
            "reply": self.reply,
        }


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One row of the queue, without its bytes (see :meth:`MailQueue.content`).

    Times are Unix timestamps (``time.time()``); ``next_try`` is when a
    pending message is due, ``last_error`` the reason of the last failed try
    (the server's reply for an SMTP refusal). ``recipients`` holds each
    address of ``rcpt_tos`` once, with its own state: a message is ``sent``
    when every recipient was accepted, ``failed`` when none is left to try
    and one was refused for good (the others may have been sent), else it
    is pending or being sent to the recipients still pending.
    """

    id: int
    message_id: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    backend: str
    state: State
    attempts: int
    max_attempts: int
    size: int
    queued_at: float
    next_try: float | None
    sent_at: float | None
    last_error: str
    recipients: tuple[Recipient, ...] = ()

    @property
    def pending_to(self) -> list[str]:
        """The addresses still to deliver to, in their queued order."""
        return [r.address for r in self.recipients if r.state is State.PENDING]

    def as_json(self) -> dict[str, Any]:
        """Return the row as ``pochta queue list --json`` prints it (ISO 8601 UTC times)."""
        return {
            "id": self.id,
            "message_id": self.message_id,
            "from": self.mail_from,
            "to": list(self.rcpt_tos),
            "backend": self.backend,
            "state": str(self.state),
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "size": self.size,
            "queued_at": _iso(self.queued_at),
            "next_try": _iso(self.next_try),
            "sent_at": _iso(self.sent_at),
            "last_error": self.last_error,
            "recipients": [r.as_json() for r in self.recipients],
        }


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How many messages the queue holds in each state."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def unfinished(self) -> int:
        """Messages still to deliver: pending or being sent."""
        return self.pending + self.sending

    def as_json(self) -> dict[str, int]:
        """Return the counts as ``pochta queue --json`` prints them."""
        return {
            "pending": self.pending,
            "sending": self.sending,
            "sent": self.sent,
            "failed": self.failed,
        }
