"""Settings of the Task site, the seeds' Django project.

Mail settings come from the environment, never from the code (seed 002,
"Храните учётные данные SMTP ... в переменных окружения"). By default the
site sends through Django's smtp backend to 127.0.0.1:1025, where
``python manage.py pochta`` or ``pochta serve`` catches everything.

On Django 6.1 they become the ``MAILERS`` setting (the ``"default"``
mailer); on Django 5.2 and 6.0, the ``EMAIL_*`` settings of the same names.
``EMAIL_BACKEND`` takes a dotted path or one of the short names below:

* ``smtp`` (default): Django's smtp backend, ``EMAIL_HOST``/``EMAIL_PORT``;
* ``file``: Django's file backend into ``BASE_DIR / 'sent_emails'``, as in the seeds;
* ``store``: pochta's store backend, straight into the catcher's store;
* ``queue``: pochta's queue backend: the form answers at once and
  ``python manage.py pochta worker`` delivers (docs/sending.md);
* ``console`` and ``locmem``: Django's own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Development defaults; set DJANGO_SECRET_KEY and DJANGO_DEBUG=0 anywhere else.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "tasksite-development-only-not-a-secret")
DEBUG = _env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "accounts",
    "tasks",
    "birthday",
    "notes",
    "reports",
    "pochta.django",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tasksite.urls"
WSGI_APPLICATION = "tasksite.wsgi.application"
TEST_RUNNER = "tasksite.testrunner.SiteTestRunner"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The SQLite file migrate creates here (git-ignored); TASKSITE_DATABASE moves it.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("TASKSITE_DATABASE") or BASE_DIR / "db.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "ru"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"

LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Mail -----------------------------------------------------------------
_backend_aliases = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "store": "pochta.mail.backends.store.EmailBackend",
    "queue": "pochta.mail.backends.queue.EmailBackend",
}
_backend = os.environ.get("EMAIL_BACKEND", "").strip() or "smtp"
_backend = _backend_aliases.get(_backend, _backend)
_sent_emails = BASE_DIR / "sent_emails"
EMAIL_QUEUE_PATH = os.environ.get("EMAIL_QUEUE_PATH") or str(BASE_DIR / ".pochta" / "queue.db")
_smtp_options: dict[str, Any] = {
    "host": os.environ.get("EMAIL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("EMAIL_PORT", "1025")),
    "username": os.environ.get("EMAIL_HOST_USER", ""),
    "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
    "use_tls": _env_bool("EMAIL_USE_TLS", False),
    "timeout": 10,
}


def _mailer(backend: str) -> dict[str, Any]:
    """The MAILERS entry of ``backend`` with the options it takes."""
    if backend.endswith(".smtp.EmailBackend"):
        return {"BACKEND": backend, "OPTIONS": _smtp_options}
    if backend.endswith(".filebased.EmailBackend"):
        return {"BACKEND": backend, "OPTIONS": {"file_path": _sent_emails}}
    if backend == _backend_aliases["queue"]:
        options = {"path": EMAIL_QUEUE_PATH, "delivery_backend": "smtp"}
        return {"BACKEND": backend, "OPTIONS": options}
    return {"BACKEND": backend}


if django.VERSION >= (6, 1):
    MAILERS = {"default": _mailer(_backend)}
    if _backend == _backend_aliases["queue"]:
        # What the worker delivers through (the queue's delivery_backend).
        MAILERS["smtp"] = _mailer(_backend_aliases["smtp"])
else:
    EMAIL_BACKEND = _backend
    EMAIL_FILE_PATH = _sent_emails
    EMAIL_HOST = _smtp_options["host"]
    EMAIL_PORT = _smtp_options["port"]
    EMAIL_HOST_USER = _smtp_options["username"]
    EMAIL_HOST_PASSWORD = _smtp_options["password"]
    EMAIL_USE_TLS = _smtp_options["use_tls"]
    EMAIL_TIMEOUT = _smtp_options["timeout"]

DEFAULT_FROM_EMAIL = "noreply@task.local"
SERVER_EMAIL = "server@task.local"
# Django's default LOGGING mails these on every server error while DEBUG is False.
# Django 6.0 takes addresses; Django 5.2 wanted (name, address) pairs.
ADMINS = ["admin@task.local"] if django.VERSION >= (6, 0) else [("Admin", "admin@task.local")]

# Where the catcher of `python manage.py pochta` keeps its mail (POCHTA_DATABASE moves it).
POCHTA = {
    "DATABASE": os.environ.get("POCHTA_DATABASE") or BASE_DIR / ".pochta" / "mail.db",
}

# Who the category page mails (seed 003's category_detail example).
CATEGORY_RECIPIENTS = ["user1@mail.ru", "user2@mail.ru"]
# Who receives the report with the attached file (seed 003's send_with_attachment).
REPORT_RECIPIENTS = ["receiver@example.com"]
