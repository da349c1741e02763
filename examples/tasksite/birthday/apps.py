"""Birthday: the Beatles form from the seeds."""

from __future__ import annotations

from django.apps import AppConfig


class BirthdayConfig(AppConfig):
    """The birthday app."""

    name = "birthday"
