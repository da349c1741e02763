"""The Birthday model of the seeds."""

from __future__ import annotations

from django.db import models


class Birthday(models.Model):
    """Someone's name and birthday."""

    first_name = models.CharField("Имя", max_length=20)
    last_name = models.CharField("Фамилия", max_length=20, blank=True)
    birthday = models.DateField("Дата рождения")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"
