"""The worker: deliver queued messages through the real backend, retrying what may pass later.

Example::

    with open_queue() as queue:
        report = Worker(queue, concurrency=4).run(until_empty=True)
    print(report.sent, report.failed)

Each of the ``concurrency`` threads leases one message at a time and keeps
one open backend per backend name, so an SMTP connection carries message
after message; a failed try closes it and the next message opens a new one.
A message counts as sent only once the backend accepted it: a worker killed
mid-send leaves a lease that runs out (at once, for a dead process of this
machine) and the message is sent again, with the same Message-ID.
"""

from __future__ import annotations

import functools
import logging
import smtplib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from pochta.exceptions import ConfigurationError
from pochta.mail import settings
from pochta.mail.backends.base import BaseEmailBackend
from pochta.mail.log import log_send, logged_by_caller
from pochta.mail.queue.delivery import QueuedEmail, open_backend
from pochta.mail.queue.failure import Failure, Outcome, classify, judge, retry_delay
from pochta.mail.queue.file import Claim, MailQueue
from pochta.mail.queue.lease import owner_name
from pochta.mail.queue.record import State
from pochta.mail.submission import Submission

__all__ = ["DEFAULT_LEASE", "Worker", "WorkerReport"]

logger = logging.getLogger(__name__)

DEFAULT_LEASE = float(settings.DEFAULTS["EMAIL_QUEUE_LEASE"])
"""Seconds a worker holds a message before another may take it (longer than any send)."""


@dataclass(slots=True)
class WorkerReport:
    """What a worker did: messages sent, tries deferred for a retry, messages failed."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, outcome: str) -> None:
        """Add one ``sent``, ``retried`` or ``failed``."""
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)


class Worker:
    """Deliver the messages of ``queue``: :meth:`run` until stopped, or drained.

    Arguments left as None take their setting: ``lease`` is
    ``EMAIL_QUEUE_LEASE``, ``retry_delay`` ``EMAIL_QUEUE_RETRY_DELAY``,
    ``max_retry_delay`` ``EMAIL_QUEUE_MAX_RETRY_DELAY``. ``poll`` is the
    longest nap when nothing is due (a new message is noticed within it).
    """

    def __init__(
        self,
        queue: MailQueue,
        *,
        concurrency: int = 1,
        lease: float | None = None,
        poll: float = 1.0,
        retry_delay: float | None = None,
        max_retry_delay: float | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency {concurrency!r} must be at least 1")
        self.queue = queue
        self.concurrency = concurrency
        self.lease = _seconds("EMAIL_QUEUE_LEASE", lease, least=0.1)
        self.poll = poll
        self.retry_delay = _seconds("EMAIL_QUEUE_RETRY_DELAY", retry_delay, least=0.0)
        self.max_retry_delay = _seconds("EMAIL_QUEUE_MAX_RETRY_DELAY", max_retry_delay, least=0.0)
        self.report = WorkerReport()
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask every thread to stop after the message in hand (safe from a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    def run(self, *, until_empty: bool = False) -> WorkerReport:
        """Deliver until :meth:`stop`, or until nothing is pending or being sent.

        Blocks the calling thread; signal handlers still run (it waits in
        short joins).
        """
        threads = [
            threading.Thread(
                target=self._loop, args=(until_empty,), name=f"pochta-worker-{n}", daemon=True
            )
            for n in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
        return self.report

    def deliver(self, message: int) -> State | None:
        """Deliver the one pending message with id ``message`` now, on this thread.

        Return its state afterwards, or None when it was not pending (sent,
        failed, gone, or leased by a live worker).
        """
        claim = self.queue.claim(owner_name(), lease=self.lease, message=message)
        if claim is None:
            return None
        backends: dict[str, BaseEmailBackend] = {}
        try:
            self._deliver(claim, backends)
        finally:
            for backend in backends.values():
                _close(backend)
        found = self.queue.get(message)
        return None if found is None else found.state

    def _loop(self, until_empty: bool) -> None:
        owner = owner_name()
        backends: dict[str, BaseEmailBackend] = {}
        try:
            while not self._stop.is_set():
                claim = self.queue.claim(owner, lease=self.lease)
                if claim is not None:
                    self._deliver(claim, backends)
                elif until_empty and self.queue.counts().unfinished == 0:
                    return
                else:
                    self._stop.wait(self._nap())
        finally:
            for backend in backends.values():
                _close(backend)

    def _nap(self) -> float:
        due = self.queue.next_due()
        if due is None:
            return self.poll
        return min(self.poll, max(due - time.time(), 0.01))

    def _deliver(self, claim: Claim, backends: dict[str, BaseEmailBackend]) -> None:
        name = claim.message.backend
        started = time.monotonic()
        email = QueuedEmail(claim.submission)
        failure: Failure | None = None
        try:
            backend = backends.get(name)
            if backend is None:
                backend = backends[name] = open_backend(name)
                backend.open()
            with logged_by_caller():
                accepted = backend.send_messages([email])
            if accepted != 1:
                raise RuntimeError(f"backend {name} accepted nothing and raised nothing")
        except Exception as error:
            stale = backends.pop(name, None)
            if stale is not None:
                _close(stale)
            if isinstance(error, smtplib.SMTPRecipientsRefused):
                email.recipients_refused(error.recipients)  # a backend without the hook
            failure = classify(error)
        outcome = judge(claim.submission.rcpt_tos, email.refused, failure)
        self._settle(claim, outcome, started)

    def _settle(self, claim: Claim, outcome: Outcome, started: float) -> None:
        message = claim.message
        delay = retry_delay(message.attempts, self.retry_delay, cap=self.max_retry_delay)
        state = self.queue.settle(claim, outcome, delay=delay)
        attempt = f"attempt {message.attempts} of {message.max_attempts}"
        log = functools.partial(_log, claim.submission, message.backend, started, attempt=attempt)
        if state is None:
            # A send-log line like the others (a formatter may read its fields), not a bare one.
            lost = "its lease ran out during the attempt; the worker holding it now sends again"
            log(claim.submission.rcpt_tos, "lease lost", {}, then=f" ({lost})")
            return
        self.report.count(
            "sent" if state is State.SENT else "failed" if state is State.FAILED else "retried"
        )
        if outcome.sent:
            log(outcome.sent, "sent", {})
        if outcome.retry and state is State.PENDING:
            log(list(outcome.retry), "retry", outcome.retry, then=f", next in {delay:.2f} s")
        elif outcome.retry:
            log(list(outcome.retry), "failed", outcome.retry, then=" (the last)")
        if outcome.failed:
            log(list(outcome.failed), "failed", outcome.failed)


def _log(
    submission: Submission,
    backend: str,
    started: float,
    to: Sequence[str],
    outcome: str,
    replies: dict[str, str],
    *,
    attempt: str,
    then: str = "",
) -> None:
    """Log one line for the recipients ``to`` of ``submission``, which had ``outcome``."""
    reasons = list(dict.fromkeys(replies[address] for address in to if address in replies))
    if len(reasons) > 1:
        reasons = [f"<{address}>: {replies[address]}" for address in to]
    reason = "; ".join([*reasons, attempt + then]) if outcome != "sent" else attempt
    log_send(
        Submission(submission.mail_from, list(to), submission.content),
        backend=_label(backend),
        outcome=outcome,
        started=started,
        reason=reason,
    )


def _seconds(name: str, given: float | None, *, least: float) -> float:
    """Return ``given``, else the setting ``name``, checked to be a number of seconds."""
    value = settings.get_setting(name) if given is None else given
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= least:
        raise ConfigurationError(
            f"{name} {value!r} is not a number of seconds of at least {least:g}; "
            f"give e.g. {settings.DEFAULTS[name]:g}"
        )
    return float(value)


def _label(name: str) -> str:
    short = name.removeprefix("pochta.mail.backends.").removesuffix(".EmailBackend")
    return f"{short} (queue)"


def _close(backend: BaseEmailBackend) -> None:
    try:
        backend.close()
    except Exception:  # a connection that broke may not even QUIT
        logger.debug("closing %r failed", backend, exc_info=True)
