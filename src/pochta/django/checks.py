"""The system check a Django developer reaches for: is the catcher the smtp backend needs up?

``pochta.W001`` warns when ``EMAIL_BACKEND`` is Django's or pochta's smtp
backend pointed at this machine and nothing accepts connections on
``EMAIL_HOST:EMAIL_PORT``: every ``send_mail`` would fail (or, with
``fail_silently=True`` as in the seeds, vanish without a trace). The probe is
one TCP connection to a loopback address with a short timeout, made only when
checks run, never at import; other machines are never probed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Warning

from pochta.django.catcher import is_listening, smtp_target

__all__ = ["PROBE_TIMEOUT", "check_catcher_listening", "project_settings"]

#: Seconds the check waits for the SMTP port to accept a connection.
PROBE_TIMEOUT = 0.25

_NAMES = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT")


def project_settings(names: Sequence[str]) -> dict[str, Any]:
    """Return the settings among ``names`` the project sets itself (Django's defaults left out)."""
    return {name: getattr(settings, name) for name in names if settings.is_overridden(name)}


def check_catcher_listening(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn (``pochta.W001``) when the smtp backend points at a loopback port nobody serves."""
    values = {name: getattr(settings, name) for name in _NAMES}
    target = smtp_target(values)
    if target is None or is_listening(target, timeout=PROBE_TIMEOUT):
        return []
    return [
        Warning(
            f"EMAIL_BACKEND {settings.EMAIL_BACKEND!r} sends to {target}, "
            f"but nothing listens there: sending mail will fail.",
            hint=(
                "Start a catcher: `python manage.py pochta` (with 'pochta.django' in "
                f"INSTALLED_APPS) or `pochta serve --smtp {target}`; or set "
                "EMAIL_BACKEND = 'pochta.mail.backends.store.EmailBackend' to need no server."
            ),
            id="pochta.W001",
        )
    ]
