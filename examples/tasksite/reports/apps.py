"""Reports: a message with an attached file (seed 003's send_with_attachment)."""

from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The reports app."""

    name = "reports"
