"""The send log: one line on the ``pochta.mail`` logger for every message a backend handles.

Every backend calls :func:`log_send` (through :func:`log_batch` when it
handles a batch), so one logging configuration sees all of them::

    INFO sent <1@example.com> from <a@example.com> to <b@example.com> via smtp in 12.3 ms
    WARNING retry <1@example.com> ... via smtp (queue) in 3.1 ms: 451 4.7.1 Try later;
        attempt 1 of 8, next in 30.00 s
    ERROR failed <2@example.com> ... via smtp (queue) in 2.0 ms: 550 5.1.1 No such user;
        attempt 1 of 8

Each record also carries the fields as attributes (``record.message_id``,
``mail_from``, ``rcpt_tos``, ``backend``, ``outcome``, ``duration``,
``reason``) for a structured formatter. docs/mail.md shows a configuration
that writes them to a file.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator, Sequence

from pochta.mail.submission import Submission

__all__ = [
    "LOGGER_NAME",
    "backend_label",
    "log_batch",
    "log_send",
    "logged_by_caller",
    "send_log_enabled",
]

LOGGER_NAME = "pochta.mail"
"""The send log's logger: the package's name, so one line in LOGGING catches every backend."""

logger = logging.getLogger(LOGGER_NAME)

_LEVELS = {
    "retry": logging.WARNING,
    "partly sent": logging.WARNING,
    "lease lost": logging.WARNING,
    "failed": logging.ERROR,
}

# Set while the queue worker calls a backend: the worker logs the outcome
# (a refusal it will retry is a WARNING, not the backend's ERROR).
_caller_logs: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pochta_mail_caller_logs", default=False
)


def send_log_enabled() -> bool:
    """Tell whether a send-log line would be written (so a backend may skip building it)."""
    return not _caller_logs.get() and logger.isEnabledFor(logging.INFO)


@contextlib.contextmanager
def logged_by_caller() -> Iterator[None]:
    """Within this block, backends log nothing: the caller logs each outcome itself."""
    token = _caller_logs.set(True)
    try:
        yield
    finally:
        _caller_logs.reset(token)


def backend_label(backend: object) -> str:
    """Name a backend in the log: its mailer alias if it has one, else its module (``smtp``)."""
    alias = getattr(backend, "alias", None)
    if isinstance(alias, str) and alias:
        return alias
    module = type(backend).__module__
    if module.startswith("pochta.mail.backends."):
        return module.removeprefix("pochta.mail.backends.")
    return f"{module}.{type(backend).__qualname__}"


def log_send(
    submission: Submission,
    *,
    backend: str,
    outcome: str,
    started: float,
    reason: str = "",
) -> None:
    """Log one message with its ``outcome``: ``sent``, ``queued``, ``written`` ...

    ``retry``, ``partly sent`` (some recipients refused) and ``lease lost``
    (the queue worker's lease ran out during a send) are logged at WARNING,
    ``failed`` at ERROR, any other at INFO.
    ``started`` is the :func:`time.monotonic` reading from before the attempt.
    Nothing is logged inside :func:`logged_by_caller` (the caller logs).
    """
    level = _LEVELS.get(outcome, logging.INFO)
    if _caller_logs.get() or not logger.isEnabledFor(level):
        return
    duration = time.monotonic() - started
    fields = {
        "message_id": submission.message_id,
        "mail_from": submission.mail_from,
        "rcpt_tos": list(submission.rcpt_tos),
        "backend": backend,
        "outcome": outcome,
        "duration": duration,
        "reason": reason,
    }
    to = ", ".join(f"<{address}>" for address in submission.rcpt_tos)
    logger.log(
        level,
        "%s %s from <%s> to %s via %s in %.1f ms%s",
        outcome,
        fields["message_id"] or "(no Message-ID)",
        submission.mail_from,
        to,
        backend,
        duration * 1000,
        f": {reason}" if reason else "",
        extra=fields,
    )


def log_batch(
    submissions: Sequence[Submission],
    done: int,
    *,
    backend: object,
    started: float,
    outcome: str = "sent",
    error: BaseException | None = None,
) -> None:
    """Log a batch a backend handled: the first ``done`` with ``outcome``, the rest failed.

    ``error`` is what stopped the batch (or was swallowed by ``fail_silently``).
    Nothing is logged inside :func:`logged_by_caller`.
    """
    label = backend_label(backend)
    reason = f"{type(error).__name__}: {error}" if error is not None else "not sent"
    for index, submission in enumerate(submissions):
        if index < done:
            log_send(submission, backend=label, outcome=outcome, started=started)
        else:
            log_send(submission, backend=label, outcome="failed", started=started, reason=reason)
