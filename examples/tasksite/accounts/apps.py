"""Accounts: sign up, log in and out, password change and reset."""

from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The accounts app; its templates override contrib.auth's and the admin's."""

    name = "accounts"
