"""The Task model of the seeds' Task project."""

from __future__ import annotations

from django.db import models


class Task(models.Model):
    """Something to do."""

    title = models.CharField("Название", max_length=200)
    description = models.TextField("Описание", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
