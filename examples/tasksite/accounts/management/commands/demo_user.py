"""``manage.py demo_user``: create the demo account, or reset it to the known password."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """Make sure USERNAME exists with EMAIL and PASSWORD (``pochta demo`` runs this)."""

    help = "Create the demo user, or reset its e-mail and password if it exists."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the three values."""
        parser.add_argument("--username", default="demo")
        parser.add_argument("--email", default="demo@task.local")
        parser.add_argument("--password", default="demo-password-1")

    def handle(self, *args: Any, **options: Any) -> None:
        """Create or update the user."""
        user, created = get_user_model().objects.get_or_create(username=options["username"])
        user.email = options["email"]
        user.set_password(options["password"])
        user.save()
        verb = "created" if created else "reset"
        self.stdout.write(f"demo user {user.username} <{user.email}> {verb}")
