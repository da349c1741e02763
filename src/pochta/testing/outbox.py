"""Catch the mail a test sends in-process, in one list, for pochta.mail and Django alike.

:func:`captured_mail` points ``pochta.mail`` at its ``locmem`` backend and, when
Django's settings are configured, Django's mail at Django's ``locmem`` backend,
and makes ``pochta.mail.outbox`` and ``django.core.mail.outbox`` the same new,
empty list. Everything it changed is put back afterwards, including values a
program gave to ``pochta.mail.configure()``::

    with captured_mail() as outbox:
        send_mail("Hi", "Body", "a@example.com", ["b@example.com"])
    assert [m.subject for m in outbox] == ["Hi"]
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import pochta.mail
from pochta.mail import settings as mail_settings

__all__ = [
    "DJANGO_LOCMEM",
    "POCHTA_LOCMEM",
    "captured_mail",
    "restore_mail_settings",
    "save_mail_settings",
]

POCHTA_LOCMEM = "pochta.mail.backends.locmem.EmailBackend"
DJANGO_LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
_MISSING = object()


def save_mail_settings() -> dict[str, Any]:
    """Return a copy of the values given to ``pochta.mail.configure()`` so far."""
    return dict(mail_settings._configured)


def restore_mail_settings(saved: dict[str, Any]) -> None:
    """Make ``pochta.mail``'s configured values exactly ``saved`` again."""
    pochta.mail.reset()
    pochta.mail.configure(**saved)


def _django_settings() -> Any:
    """Return ``django.conf.settings`` if Django is imported and configured, else None."""
    conf = sys.modules.get("django.conf")
    settings = getattr(conf, "settings", None)
    if settings is None or not settings.configured:
        return None
    return settings


@contextlib.contextmanager
def _django_outbox(outbox: list[Any]) -> Iterator[None]:
    settings = _django_settings()
    if settings is None:
        yield
        return
    from django.core import mail as django_mail

    backend = settings.EMAIL_BACKEND
    previous: Any = getattr(django_mail, "outbox", _MISSING)
    settings.EMAIL_BACKEND = DJANGO_LOCMEM
    django_mail.outbox = outbox
    try:
        yield
    finally:
        settings.EMAIL_BACKEND = backend
        if previous is _MISSING:
            vars(django_mail).pop("outbox", None)
        else:
            django_mail.outbox = previous


@contextlib.contextmanager
def captured_mail() -> Iterator[list[Any]]:
    """Collect every message sent in the block, through pochta.mail or Django, in one list."""
    saved = save_mail_settings()
    previous: Any = getattr(pochta.mail, "outbox", _MISSING)
    outbox: list[Any] = []
    pochta.mail.configure(EMAIL_BACKEND=POCHTA_LOCMEM)
    pochta.mail.outbox = outbox
    try:
        with _django_outbox(outbox):
            yield outbox
    finally:
        restore_mail_settings(saved)
        if previous is _MISSING:
            vars(pochta.mail).pop("outbox", None)
        else:
            pochta.mail.outbox = previous
