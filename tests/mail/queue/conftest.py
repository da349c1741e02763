"""Fixtures for the send queue: a queue file in tmp_path, a backend writing to it.

Delivery is set up the Django 6.1 way: the queue's messages name the
``MAILERS`` alias ``smtp``, which :func:`smtp_mailer` points at a real
aiosmtpd server, so nothing here warns. The tests of the Django 6.0 way
(``EMAIL_QUEUE_BACKEND`` as a dotted path, ``EMAIL_HOST``/``EMAIL_PORT``)
say so in their names and expect its deprecation warning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pochta.mail import configure
from pochta.mail.backends.base import BaseEmailBackend
from pochta.mail.queue import MailQueue, open_queue
from tests.mail.smtp_peer import SMTPServer

SMTP_ALIAS = "smtp"
"""The MAILERS alias the queued messages are delivered through."""


@pytest.fixture
def queue_path(tmp_path: Path) -> Path:
    """Where the test's queue file lives."""
    return tmp_path / "queue.db"


@pytest.fixture
def queue(queue_path: Path) -> Iterator[MailQueue]:
    """The test's queue file, open."""
    with open_queue(queue_path) as opened:
        yield opened


def queue_backend(path: Path, **kwargs: Any) -> BaseEmailBackend:
    """A queue backend writing to ``path``, delivering through the ``smtp`` mailer by default."""
    from pochta.mail.backends.queue import EmailBackend

    kwargs.setdefault("delivery_backend", SMTP_ALIAS)
    return EmailBackend(path=path, **kwargs)


def smtp_mailers(host: str, port: int) -> dict[str, Any]:
    """Return a ``MAILERS`` whose ``smtp`` alias sends to ``host:port``."""
    backend = "pochta.mail.backends.smtp.EmailBackend"
    options = {"host": host, "port": port, "timeout": 10}
    return {SMTP_ALIAS: {"BACKEND": backend, "OPTIONS": options}}


def mailers_json(host: str, port: int) -> str:
    """The same ``MAILERS``, for the ``MAILERS`` environment variable of a ``pochta worker``."""
    return json.dumps(smtp_mailers(host, port))


def point_smtp_mailer(host: str, port: int) -> None:
    """Make the ``smtp`` mailer (Django 6.1's MAILERS) send to ``host:port``."""
    configure(MAILERS=smtp_mailers(host, port))


@pytest.fixture
def smtp_mailer(smtp_server: SMTPServer) -> SMTPServer:
    """Point the ``smtp`` mailer, which the worker delivers through, at the aiosmtpd server."""
    point_smtp_mailer(smtp_server.host, smtp_server.port)
    return smtp_server
