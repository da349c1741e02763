"""The system check a Django developer reaches for: is the catcher the smtp backend needs up?

``pochta.W001`` warns when a smtp backend (Django's or pochta's) is pointed at
this machine and nothing accepts connections there: every ``send_mail``
would fail (or, with ``fail_silently=True`` as in the seeds, vanish without a
trace). On Django 6.1 with ``MAILERS`` each smtp mailer is checked; otherwise
``EMAIL_BACKEND`` with ``EMAIL_HOST:EMAIL_PORT``. The probe is one TCP
connection to a loopback address with a short timeout, made only when checks
run, never at import; other machines are never probed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Warning

import django
from pochta.django.catcher import is_listening
from pochta.django.target import smtp_targets
from pochta.mail.settings import DEPRECATED_EMAIL_SETTINGS

__all__ = [
    "PROBE_TIMEOUT",
    "check_catcher_listening",
    "mail_settings",
    "project_settings",
    "uses_mailers",
]

#: Seconds the check waits for the SMTP port to accept a connection.
PROBE_TIMEOUT = 0.25

_NAMES = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT")


def uses_mailers() -> bool:
    """Tell whether Django's own mail uses ``MAILERS`` (Django 6.1 with it defined)."""
    return django.VERSION >= (6, 1) and hasattr(settings, "MAILERS")


def _read(name: str) -> Any:
    # Django 6.1 warns code outside Django that reads a deprecated EMAIL_* setting;
    # pochta reads them for the project, as Django's own backends do (silently).
    holder = settings._wrapped if name in DEPRECATED_EMAIL_SETTINGS else settings
    return getattr(holder, name)


def project_settings(names: Sequence[str]) -> dict[str, Any]:
    """Return the settings among ``names`` the project sets itself (Django's defaults left out).

    With ``MAILERS`` in use the deprecated ``EMAIL_*`` settings are left out
    (Django 6.1 makes them unavailable), and ``MAILERS`` is what says where
    mail goes; before Django 6.1 ``MAILERS`` is left out (Django does not use it).
    """
    mailers = uses_mailers()
    values = {}
    for name in names:
        if (name in DEPRECATED_EMAIL_SETTINGS and mailers) or (name == "MAILERS" and not mailers):
            continue
        if settings.is_overridden(name) or (name == "MAILERS" and mailers):
            values[name] = _read(name)
    return values


def mail_settings() -> dict[str, Any]:
    """Return what says where the project's mail goes: ``MAILERS``, or the ``EMAIL_*`` values."""
    if uses_mailers():
        return {"MAILERS": settings.MAILERS}
    return {name: _read(name) for name in _NAMES}


def check_catcher_listening(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn (``pochta.W001``) for each smtp backend pointed at a loopback port nobody serves."""
    warnings: list[CheckMessage] = []
    for target in smtp_targets(mail_settings()):
        if is_listening(target.address, timeout=PROBE_TIMEOUT):
            continue
        instead = (
            "set EMAIL_BACKEND = 'pochta.mail.backends.store.EmailBackend'"
            if target.alias is None
            else f"give MAILERS[{target.alias!r}] the BACKEND "
            "'pochta.mail.backends.store.EmailBackend'"
        )
        warnings.append(
            Warning(
                f"{target.label} sends to {target.address}, "
                f"but nothing listens there: sending mail will fail.",
                hint=(
                    "Start a catcher: `python manage.py pochta` (with 'pochta.django' in "
                    f"INSTALLED_APPS) or `pochta serve --smtp {target.address}`; or "
                    f"{instead} to need no server."
                ),
                id="pochta.W001",
            )
        )
    return warnings
