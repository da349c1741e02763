"""The Django app of pochta: ``INSTALLED_APPS = [..., "pochta.django"]``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

__all__ = ["PochtaConfig"]


class PochtaConfig(AppConfig):
    """Give the project ``manage.py pochta`` and the ``pochta.W001`` check."""

    name = "pochta.django"
    label = "pochta"
    verbose_name = "pochta mail catcher"

    def ready(self) -> None:
        """Register the system checks (they run with ``manage.py check``/``runserver``)."""
        from pochta.django.checks import check_catcher_listening

        checks.register(check_catcher_listening, "pochta")
