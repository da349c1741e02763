"""Where a Django project's smtp backends send, read from ``MAILERS`` or ``EMAIL_*`` (no Django).

A project on Django 6.1 configures mail with ``MAILERS``; before that (or
while it has not migrated) with ``EMAIL_BACKEND``, ``EMAIL_HOST``,
``EMAIL_PORT``, ``EMAIL_HOST_USER`` and ``EMAIL_HOST_PASSWORD``. Both become
:class:`SmtpTarget` records here, one per smtp backend (the default mailer
first), so ``manage.py pochta`` and the ``pochta.W001`` check read either the
same way::

    [target] = smtp_targets({"MAILERS": {"default": {"OPTIONS": {"host": "localhost"}}}})
    assert (target.address, target.port_given) == (HostPort("127.0.0.1", 25), False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pochta.config import HostPort

__all__ = ["DJANGO_SMTP", "SMTP_BACKENDS", "SmtpTarget", "smtp_targets"]

#: Django's smtp backend: Django's default ``EMAIL_BACKEND`` and ``MAILERS`` ``BACKEND``.
DJANGO_SMTP = "django.core.mail.backends.smtp.EmailBackend"

#: The smtp backends whose host and port the catcher follows.
SMTP_BACKENDS = frozenset({DJANGO_SMTP, "pochta.mail.backends.smtp.EmailBackend"})

_LOOPBACK_NAMES = {"localhost": "127.0.0.1", "localhost.localdomain": "127.0.0.1"}


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """One smtp backend of the project, sending to this machine.

    ``label`` names it as the settings do (``EMAIL_BACKEND '...'`` or
    ``MAILERS['alias'] (...)``); ``port_setting`` is what to write to move it
    to another port; ``port_given`` tells whether the project chose the port.
    """

    label: str
    alias: str | None
    address: HostPort
    port_given: bool
    logs_in: bool
    port_setting: str


def _loopback(host: object, port: object) -> HostPort | None:
    name = str(host).strip().lower()
    try:
        number = int(port)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    address = HostPort(_LOOPBACK_NAMES.get(name, name), number)
    return address if address.is_loopback and 0 < number < 65536 else None


def _from_email_settings(project: Mapping[str, Any]) -> list[SmtpTarget]:
    backend = project.get("EMAIL_BACKEND", DJANGO_SMTP)
    if backend not in SMTP_BACKENDS:
        return []
    address = _loopback(project.get("EMAIL_HOST", "localhost"), project.get("EMAIL_PORT", 25))
    if address is None:
        return []
    logs_in = bool(project.get("EMAIL_HOST_USER") and project.get("EMAIL_HOST_PASSWORD"))
    label = f"EMAIL_BACKEND {backend!r}"
    return [SmtpTarget(label, None, address, "EMAIL_PORT" in project, logs_in, "EMAIL_PORT")]


def _from_mailer(alias: str, entry: Mapping[str, Any]) -> SmtpTarget | None:
    backend = entry.get("BACKEND", DJANGO_SMTP)
    options = entry.get("OPTIONS", {})
    if backend not in SMTP_BACKENDS or not isinstance(options, Mapping):
        return None
    default_port = 465 if options.get("use_ssl") else 587 if options.get("use_tls") else 25
    address = _loopback(options.get("host"), options.get("port", default_port))
    if address is None or options.get("host") is None:
        return None
    logs_in = bool(options.get("username") and options.get("password"))
    setting = f"MAILERS[{alias!r}]['OPTIONS']['port']"
    label = f"MAILERS[{alias!r}] ({backend})"
    return SmtpTarget(label, alias, address, "port" in options, logs_in, setting)


def smtp_targets(project: Mapping[str, Any]) -> list[SmtpTarget]:
    """Return the project's smtp backends that send to this machine, the default first.

    With a ``MAILERS`` key the project's mailers are read (an entry without
    ``BACKEND`` is Django's smtp backend, whose port follows ``use_ssl``/
    ``use_tls``); otherwise the ``EMAIL_*`` keys, with Django's defaults
    (smtp to localhost:25). Other machines, other backends and unusable
    values are left out: nothing is ever probed elsewhere.
    """
    if "MAILERS" not in project:
        return _from_email_settings(project)
    mailers = project["MAILERS"]
    if not isinstance(mailers, Mapping):
        return []
    aliases = sorted(mailers, key=lambda alias: alias != "default")
    found = [
        _from_mailer(alias, mailers[alias])
        for alias in aliases
        if isinstance(mailers[alias], Mapping)
    ]
    return [target for target in found if target is not None]
