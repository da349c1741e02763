"""An email backend that writes messages straight into a pochta store, no server needed.

::

    EMAIL_BACKEND = "pochta.mail.backends.store.EmailBackend"
    POCHTA_DATABASE = BASE_DIR / ".pochta" / "mail.db"     # optional

Each message is stored as the SMTP backend would have sent it (CRLF line
ends, the same envelope: MAIL FROM and every recipient, Bcc included), with
``Envelope.source`` set to ``"backend"``. A ``pochta serve`` running on the
same file shows these messages live (it follows rows other processes add).

The store (a file, or the ``postgresql://`` URL of a team's store) comes
from the ``database=`` (or ``file_path=``) argument, else the
``POCHTA_DATABASE`` setting (``pochta.mail.configure``, Django's settings or
the environment variable), else ``.pochta/mail.db`` in the current folder:
the file ``pochta serve`` uses by default.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pochta.exceptions import ConfigurationError, InvalidMailer
from pochta.mail import settings
from pochta.mail.backends.base import BaseEmailBackend, SendableMessage
from pochta.mail.log import log_batch
from pochta.mail.submission import build_submission
from pochta.store import Envelope, Store, open_store
from pochta.store.postgres.connection import is_postgres_url

__all__ = ["DEFAULT_DATABASE", "EmailBackend", "database_setting"]

#: The store used when nothing is configured; the same as ``pochta serve``'s default.
DEFAULT_DATABASE = Path(".pochta") / "mail.db"


def database_setting() -> Path | str:
    """Return the ``POCHTA_DATABASE`` setting, or :data:`DEFAULT_DATABASE` when it is unset.

    A ``postgresql://`` URL (the team store several catchers share) is kept as given.
    """
    try:
        value = settings.get_setting("POCHTA_DATABASE")
    except ConfigurationError:  # no value anywhere
        value = None
    if value is None or str(value) == "":
        return DEFAULT_DATABASE
    if not isinstance(value, str | os.PathLike):
        raise ConfigurationError(
            f"POCHTA_DATABASE {value!r} is not a path; give the store's file, e.g. .pochta/mail.db"
        )
    return _location(value)


def _location(value: str | os.PathLike[str]) -> Path | str:
    text = os.fspath(value)
    return text if is_postgres_url(text) else Path(text)


class EmailBackend(BaseEmailBackend):
    """Store messages in a pochta store file instead of sending them.

    Django's contract: ``send_messages`` returns how many were stored (0 for
    an empty list or messages without recipients); with ``fail_silently`` a
    failure returns the count so far instead of raising. The store is opened
    by :meth:`open` (or the first send) and closed by :meth:`close`; in a
    ``with`` block every message shares one open store.
    """

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        database: str | os.PathLike[str] | None = None,
        file_path: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Choose the store file (see the module docstring); nothing is opened yet.

        As a ``MAILERS`` backend its options are ``database`` (or ``file_path``)
        and ``fail_silently``; without them the ``POCHTA_DATABASE`` setting is
        read in both ways of making the backend (it is pochta's, not Django's).
        """
        super().__init__(**kwargs)
        self.fail_silently = fail_silently
        if database is not None and file_path is not None:
            message = "give database= or file_path= (the same thing), not both"
            if self.alias is not None:
                raise InvalidMailer(message, alias=self.alias)
            raise ConfigurationError(message)
        chosen = database if database is not None else file_path
        self.database = _location(chosen) if chosen is not None else database_setting()
        self.store: Store | None = None
        self._lock = threading.RLock()

    def open(self) -> bool:
        """Open the store unless it is open; return whether it was opened now."""
        with self._lock:
            if self.store is not None:
                return False
            try:
                self.store = open_store(self.database)
            except Exception:
                if not self.fail_silently:
                    raise
                return False
            return True

    def close(self) -> None:
        """Close the store (its writes are on disk), if open."""
        with self._lock:
            store, self.store = self.store, None
            if store is not None:
                store.close()

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Store every message that has recipients; return how many were stored."""
        if not email_messages:
            return 0
        stored = 0
        started = time.monotonic()
        envelopes = []
        with self._lock:
            try:
                # Build all first: a bad header or address stores nothing of the batch.
                envelopes = [build_submission(m) for m in email_messages if m.recipients()]
                if not envelopes:
                    return 0
                created = self.open()
                if self.store is None:
                    return 0
                try:
                    for built in envelopes:
                        envelope = Envelope(
                            built.mail_from, tuple(built.rcpt_tos), source="backend"
                        )
                        self.store.add(built.content, envelope)
                        stored += 1
                finally:
                    if created:
                        self.close()
            except Exception as error:
                log_batch(envelopes, stored, backend=self, started=started, error=error)
                if not self.fail_silently:
                    raise
                return stored
        log_batch(envelopes, stored, backend=self, started=started, outcome="stored")
        return stored
