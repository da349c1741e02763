"""Why a delivery failed, whether trying again can help, and when to try again.

RFC 5321 4.2.1: a 4xx reply is a transient failure (try later), a 5xx reply
a permanent one. A refused, dropped or timed-out connection is transient: the
message itself was not refused. A login refused (535) is transient too: the
fix is in the settings, not in the message, and the message should wait for
it. Anything else a backend raises is transient, so an unknown error costs
attempts, never a message; a message that cannot even be built (a bad
header or address) is permanent.
"""

from __future__ import annotations

import random
import smtplib
from dataclasses import dataclass

from pochta.exceptions import BadHeaderError

__all__ = ["Failure", "classify", "retry_delay"]


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed try: whether it may succeed later, and the reason to show."""

    transient: bool
    reason: str


def _reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {' '.join(text.split())}".strip()


def _recipients_refused(error: smtplib.SMTPRecipientsRefused) -> Failure:
    replies = [
        f"<{address}>: {_reply_text(code, text)}"
        for address, (code, text) in error.recipients.items()
    ]
    # Transient if any recipient may take it later; a mix is retried as a whole.
    transient = any(code < 500 for code, _ in error.recipients.values())
    return Failure(transient, "recipients refused: " + "; ".join(replies))


def classify(error: BaseException) -> Failure:
    """Turn what a backend raised into a :class:`Failure`."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _recipients_refused(error)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        reason = _reply_text(error.smtp_code, error.smtp_error)
        return Failure(True, f"login refused: {reason}; check EMAIL_HOST_USER/PASSWORD")
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code > 0:
        reason = _reply_text(error.smtp_code, error.smtp_error)
        return Failure(not 500 <= error.smtp_code < 600, reason)
    if isinstance(error, BadHeaderError | UnicodeError | ValueError):
        return Failure(False, f"{type(error).__name__}: {error}")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return Failure(True, f"connection closed: {error or 'by the server'}")
    if isinstance(error, TimeoutError):
        return Failure(True, f"timed out: {error or 'no reply in time'}")
    if isinstance(error, OSError):
        return Failure(True, f"connection failed: {error}")
    return Failure(True, f"{type(error).__name__}: {error}")


def retry_delay(attempt: int, base: float, *, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 is the first).

    ``base`` after the first, doubled after each further one, with up to 25%
    jitter either way so workers that failed together do not retry together.
    """
    jitter = (rng or random).uniform(0.75, 1.25)
    delay = base * 2 ** max(attempt - 1, 0)
    return max(0.0, float(delay * jitter))
