"""A queued message as a backend is handed it, and the backend that delivers it.

:class:`QueuedEmail` is what the worker gives the real backend: it has the
``from_email``, ``recipients()`` and ``message()`` every backend reads, and a
``submission()`` that pochta's smtp and store backends use to send the exact
bytes that were queued (Message-ID included, so a second delivery after a
crash is recognisable), and a ``recipients_refused()`` that pochta's smtp
backend calls with the recipients the server refused at RCPT, so the worker
can retry or fail those alone. A backend that does not call it (Django's
smtp backend) delivers as Django does: a recipient refused while others
were accepted is only logged.
"""

from __future__ import annotations

import email
import email.message
import email.policy

from pochta.mail.backends.base import BaseEmailBackend
from pochta.mail.queue.failure import Refusals
from pochta.mail.submission import Submission

__all__ = ["QueuedEmail", "open_backend"]


class QueuedEmail:
    """A message read back from the queue, ready for any backend's ``send_messages``."""

    encoding: str | None = None
    """Django's backends read it to encode addresses; None means the default."""

    def __init__(self, submission: Submission) -> None:
        self._submission = submission
        self.from_email = submission.mail_from
        self.extra_headers: dict[str, str] = {}
        self.refused: dict[str, tuple[int, bytes | str]] = {}
        """The recipients the server refused, as the backend reported them."""

    def recipients_refused(self, refused: Refusals) -> None:
        """Keep the recipients a backend says the server refused (address -> code, text)."""
        self.refused.update(refused)

    def submission(self) -> Submission:
        """Return the envelope and the exact bytes that were queued."""
        return self._submission

    def recipients(self) -> list[str]:
        """Return the envelope recipients (Bcc included, as queued)."""
        return list(self._submission.rcpt_tos)

    def message(self, *, policy: email.policy.Policy | None = None) -> email.message.Message:
        """Return the queued bytes parsed as a stdlib message (``policy.default``)."""
        return email.message_from_bytes(
            self._submission.content, policy=policy or email.policy.default
        )


def open_backend(name: str) -> BaseEmailBackend:
    """Make the backend ``name`` names: a dotted path, or a ``MAILERS`` alias (Django 6.1).

    A worker must see every failure to retry it, so the backend never
    swallows one (``fail_silently`` is set to False).
    """
    from pochta.mail.api import mailers
    from pochta.mail.mailer import import_backend

    backend = mailers[name] if "." not in name else import_backend(name)()
    backend.fail_silently = False
    return backend
