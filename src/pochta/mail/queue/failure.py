"""Why a delivery failed, whether trying again can help, and when to try again.

RFC 5321 4.2.1: a 4xx reply is a transient failure (try later), a 5xx reply
a permanent one. A refused, dropped or timed-out connection is transient: the
message itself was not refused. A login refused (535) is transient too: the
fix is in the settings, not in the message, and the message should wait for
it; so is a backend that cannot be made (a ``MAILERS`` alias missing).
Anything else a backend raises is transient, so an unknown error costs
attempts, never a message; a message that cannot even be built (a bad
header or address) is permanent.

Recipients are judged one by one (:func:`judge`): a server may accept some
recipients of a message and refuse others at RCPT, and smtplib's
``sendmail`` raises only when it refuses them all. A 4xx for one recipient
is retried for that recipient alone, a 5xx fails that recipient alone.
"""

from __future__ import annotations

import random
import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pochta.exceptions import BackendNotFound, BadHeaderError, ConfigurationError

__all__ = ["Failure", "Outcome", "Refusals", "classify", "judge", "reply_text", "retry_delay"]

Refusals = Mapping[str, tuple[int, bytes | str]]
"""Recipients a server refused at RCPT: address -> (code, text), as smtplib gives them."""


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed try: whether it may succeed later, and the reason to show."""

    transient: bool
    reason: str


def reply_text(code: int, text: bytes | str) -> str:
    """Return an SMTP reply as one line: ``550 5.1.1 No such user``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {' '.join(text.split())}".strip()


def _recipients_refused(error: smtplib.SMTPRecipientsRefused) -> Failure:
    replies = [
        f"<{address}>: {reply_text(code, text)}"
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
        reason = reply_text(error.smtp_code, error.smtp_error)
        return Failure(True, f"login refused: {reason}; check EMAIL_HOST_USER/PASSWORD")
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code > 0:
        reason = reply_text(error.smtp_code, error.smtp_error)
        return Failure(not 500 <= error.smtp_code < 600, reason)
    if isinstance(error, ConfigurationError | BackendNotFound):
        # The fix is in the settings (a MAILERS alias missing, say), not in the message.
        return Failure(True, f"cannot deliver through the backend: {error}; fix the settings")
    if isinstance(error, BadHeaderError | UnicodeError | ValueError):
        return Failure(False, f"{type(error).__name__}: {error}")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return Failure(True, f"connection closed: {error or 'by the server'}")
    if isinstance(error, TimeoutError):
        return Failure(True, f"timed out: {error or 'no reply in time'}")
    if isinstance(error, OSError):
        return Failure(True, f"connection failed: {error}")
    return Failure(True, f"{type(error).__name__}: {error}")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt did to each recipient it was for.

    ``sent`` were accepted; ``failed`` (address -> reason) were refused for
    good; ``retry`` (address -> reason) may pass later. ``reason`` is why the
    attempt as a whole failed, "" when the backend accepted the message.
    """

    sent: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    retry: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    @property
    def summary(self) -> str:
        """One line for the queue's ``last_error``: what went wrong, recipient by recipient."""
        problems = {**self.failed, **self.retry}
        if not problems:
            return ""
        if self.reason and all(reply == self.reason for reply in problems.values()):
            return self.reason
        return "; ".join(f"<{address}>: {reply}" for address, reply in problems.items())


def judge(recipients: Sequence[str], refused: Refusals, failure: Failure | None) -> Outcome:
    """Judge each of ``recipients`` after one attempt.

    ``refused`` holds the recipients the server refused at RCPT (it may be
    known even when the attempt then broke off, in DATA); ``failure`` is
    what the attempt raised, or None when the backend accepted the message.
    A recipient not refused shares the attempt's fate: sent, retried or failed.
    """
    sent: list[str] = []
    failed: dict[str, str] = {}
    retry: dict[str, str] = {}
    for address in recipients:
        if address in refused:
            code, text = refused[address]
            (failed if 500 <= code < 600 else retry)[address] = reply_text(code, text)
        elif failure is None:
            sent.append(address)
        else:
            (retry if failure.transient else failed)[address] = failure.reason
    return Outcome(tuple(sent), failed, retry, "" if failure is None else failure.reason)


def retry_delay(
    attempt: int, base: float, *, cap: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 is the first).

    ``base`` after the first, doubled after each further one, with up to 25%
    jitter either way so workers that failed together do not retry together;
    never more than ``cap`` (``EMAIL_QUEUE_MAX_RETRY_DELAY``) when one is given.
    """
    jitter = (rng or random).uniform(0.75, 1.25)
    # Past 2**60 the doubling means nothing but can overflow a float's range.
    delay = base * 2.0 ** min(max(attempt - 1, 0), 60) * jitter
    return max(0.0, float(delay if cap is None else min(delay, cap)))
