"""What ``pochta serve`` counts while it runs: accepted, rejected and ignored messages.

:class:`RuntimeStats` is shared by the SMTP side (which counts) and the HTTP
side (``/api/v1/info``, ``/metrics``, the ``stats`` event), so it lives here,
apart from both: SMTP starts answering before FastAPI is even imported.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pochta.message.envelope import Envelope

__all__ = ["RuntimeStats", "count_ignored"]


@dataclass
class RuntimeStats:
    """Counters since the server started, as this process saw them (``/api/v1/info``)."""

    started: float = field(default_factory=time.monotonic)
    smtp_accepted: int = 0
    smtp_accepted_size: int = 0
    smtp_rejected: int = 0
    """Recipients refused by ``--smtp-allowed-recipients`` (each RCPT, as Mailpit counts)."""
    smtp_ignored: int = 0
    """Messages dropped as duplicates by ``--ignore-duplicate-ids``."""
    messages_deleted: int = 0
    known_total: int = 0

    def rejected(self) -> None:
        """Count one SMTP rejection."""
        self.smtp_rejected += 1

    def accepted(self, size: int) -> None:
        """Count one message stored from SMTP, of ``size`` bytes."""
        self.smtp_accepted += 1
        self.smtp_accepted_size += size

    def ignored(self) -> None:
        """Count one ignored duplicate."""
        self.smtp_ignored += 1

    def uptime(self) -> int:
        """Return whole seconds since the server started."""
        return int(time.monotonic() - self.started)


def count_ignored(
    adeliver: Callable[[bytes, Envelope], Awaitable[str]],
    deliver: Callable[..., str],
    stats: RuntimeStats,
) -> tuple[Callable[[bytes, Envelope], Awaitable[str]], Callable[..., str]]:
    """Wrap the SMTP and API deliveries so each message is counted as it is answered.

    SMTP's accepted count is taken here, at delivery, not from the store's
    events: the event hub comes with the HTTP side, which is imported after
    SMTP already answers, and would miss the first messages. An ignored
    duplicate (id "") is counted as ignored, from SMTP or the send API.
    """

    async def acounted(raw: bytes, envelope: Envelope) -> str:
        message_id = await adeliver(raw, envelope)
        if message_id:
            stats.accepted(len(raw))
        else:
            stats.ignored()
        return message_id

    def counted(raw: bytes, envelope: Envelope, **options: Any) -> str:
        message_id = deliver(raw, envelope, **options)
        if not message_id:
            stats.ignored()
        return message_id

    return acounted, counted
