"""Tasks: the seeds' Task project."""

from __future__ import annotations

from django.apps import AppConfig


class TasksConfig(AppConfig):
    """The tasks app."""

    name = "tasks"
