"""The home page, and a page that fails on purpose so ADMINS get the error by mail."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """List what the site can do."""
    return render(request, "home.html")


class BoomError(RuntimeError):
    """Raised by :func:`boom`; Django's AdminEmailHandler mails it to ADMINS."""


def boom(request: HttpRequest) -> HttpResponse:
    """Fail with a server error: with DEBUG False, every address in ADMINS gets a report."""
    raise BoomError("Проверка: письмо об ошибке для ADMINS")
