"""Notes: categories whose page mails a set of users (seed 003)."""

from __future__ import annotations

from django.apps import AppConfig


class NotesConfig(AppConfig):
    """The notes app."""

    name = "notes"
