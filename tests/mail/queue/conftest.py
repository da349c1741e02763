"""Fixtures for the send queue: a queue file in tmp_path, a backend writing to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pochta.mail.backends.base import BaseEmailBackend
from pochta.mail.queue import MailQueue, open_queue
from tests.mail.smtp_peer import SMTPServer


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
    """A queue backend writing to ``path``, delivering through the smtp backend."""
    from pochta.mail.backends.queue import EmailBackend

    return EmailBackend(path=path, **kwargs)


@pytest.fixture
def smtp_settings(smtp_server: SMTPServer) -> SMTPServer:
    """Point the smtp backend (which the worker uses) at the aiosmtpd test server."""
    from pochta.mail import configure

    configure(EMAIL_HOST=smtp_server.host, EMAIL_PORT=smtp_server.port, EMAIL_TIMEOUT=10)
    return smtp_server
