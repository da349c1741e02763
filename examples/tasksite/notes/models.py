"""The Category model of seed 003's notes example."""

from __future__ import annotations

from django.db import models


class Category(models.Model):
    """A category of notes."""

    title = models.CharField("Название", max_length=200)
    description = models.TextField("Описание", blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.title
