"""Two categories, so the category page works on a fresh database."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def add_categories(apps: Any, schema_editor: Any) -> None:
    """Create the two starting categories."""
    category = apps.get_model("notes", "Category")
    category.objects.get_or_create(title="Работа", description="Заметки о работе.")
    category.objects.get_or_create(title="Дом", description="Заметки о доме.")


class Migration(migrations.Migration):
    """Add the first categories."""

    dependencies = [("notes", "0001_initial")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
