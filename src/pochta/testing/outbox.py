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
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import pochta.mail
from pochta.mail import settings as mail_settings

__all__ = [
    "DJANGO_LOCMEM",
    "POCHTA_LOCMEM",
    "captured_mail",
    "locmem_mailers",
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


def locmem_mailers(aliases: Iterable[str], backend: str) -> dict[str, dict[str, Any]]:
    """Return a ``MAILERS`` with every alias sending to ``backend`` (no options)."""
    return {alias: {"BACKEND": backend} for alias in aliases}


def _capture_pochta_mail(saved: dict[str, Any]) -> None:
    """Point pochta.mail at its locmem backend: every mailer, or EMAIL_BACKEND."""
    mailers = mail_settings.get_mailers()
    pochta.mail.reset()
    if mailers is None:
        pochta.mail.configure(**{**saved, "EMAIL_BACKEND": POCHTA_LOCMEM})
        return
    kept = {k: v for k, v in saved.items() if k not in mail_settings.DEPRECATED_EMAIL_SETTINGS}
    pochta.mail.configure(**{**kept, "MAILERS": locmem_mailers(mailers, POCHTA_LOCMEM)})


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

    # Django 6.1 with MAILERS: swap the mailers; otherwise the one EMAIL_BACKEND.
    name = "MAILERS" if hasattr(django_mail, "mailers") and hasattr(settings, "MAILERS") else None
    with warnings.catch_warnings():
        # Django 6.1 warns whoever touches EMAIL_BACKEND; this is the test runner's move.
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        value: Any = DJANGO_LOCMEM
        if name is None:
            name = "EMAIL_BACKEND"
        else:
            value = locmem_mailers(settings.MAILERS, DJANGO_LOCMEM)
        saved = getattr(settings, name)
        setattr(settings, name, value)
    previous: Any = getattr(django_mail, "outbox", _MISSING)
    django_mail.outbox = outbox
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            setattr(settings, name, saved)
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
    _capture_pochta_mail(saved)
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
