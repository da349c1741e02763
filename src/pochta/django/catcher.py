"""The catcher a Django project asks for, worked out from its settings (no Django import).

``manage.py pochta`` and the ``pochta.W001`` check read a handful of the
project's settings into a plain mapping and hand it here, so the rules live
in one place and can be tested without configuring Django:

* :func:`catcher_settings` builds the :class:`~pochta.config.Settings` of
  ``pochta serve`` from the ``POCHTA`` dict, ``POCHTA_<FIELD>`` settings, the
  project's default mailer (``MAILERS``, or the ``EMAIL_*`` settings) and
  ``BASE_DIR``;
* :func:`smtp_target` tells where the project's smtp backend sends mail, when
  that is this machine (:mod:`pochta.django.target` reads the settings);
* :func:`is_listening` knocks on that address once.

Example::

    settings = catcher_settings({"EMAIL_PORT": 2525, "BASE_DIR": Path("/site")})
    assert settings.smtp == HostPort("127.0.0.1", 2525)
    assert settings.database == Path("/site/.pochta/mail.db")
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pochta.config import HostPort, Settings, parse_setting
from pochta.django.target import SMTP_BACKENDS, SmtpTarget, smtp_targets
from pochta.exceptions import ConfigurationError

__all__ = [
    "PROJECT_SETTINGS",
    "SMTP_BACKENDS",
    "catcher_settings",
    "default_target",
    "is_listening",
    "smtp_target",
]

_FIELDS = {spec.name.upper(): spec for spec in dataclasses.fields(Settings)}

#: The Django settings read, when the project sets them (defaults are not read).
PROJECT_SETTINGS = (
    "BASE_DIR",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "MAILERS",
    "POCHTA",
    *(f"POCHTA_{name}" for name in _FIELDS),
)


def smtp_target(project: Mapping[str, Any]) -> HostPort | None:
    """Return the loopback ``host:port`` the project's default smtp backend sends to, or None.

    ``None`` when the default mailer (or ``EMAIL_BACKEND``) is not an smtp
    backend, or sends to another machine. Unset ``EMAIL_HOST``/``EMAIL_PORT``
    take Django's defaults, localhost:25.
    """
    target = default_target(project)
    return None if target is None else target.address


def default_target(project: Mapping[str, Any]) -> SmtpTarget | None:
    """Return the project's default smtp backend when it sends to this machine, else None."""
    targets = smtp_targets(project)
    if targets and targets[0].alias in (None, "default"):
        return targets[0]
    return None


def is_listening(address: HostPort, *, timeout: float = 0.25) -> bool:
    """Tell whether something accepts TCP connections at ``address`` (one short try)."""
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout):
            return True
    except OSError:
        return False


def _read(name: str, value: Any) -> Any:
    """Turn a setting's value into the type of the ``Settings`` field ``name``."""
    spec = _FIELDS[name]
    if isinstance(value, str) and spec.metadata["parse"] is not None:
        return parse_setting(spec.name, value)
    if spec.name == "allowed_host" and isinstance(value, str):
        return tuple(n for n in value.replace(",", " ").split() if n)
    if spec.name == "allowed_host":
        return tuple(value)
    if spec.type == "Path | None" or spec.name == "database":
        return Path(value)
    return value


def _configured(project: Mapping[str, Any]) -> dict[str, Any]:
    """Collect the values given by ``POCHTA_<FIELD>`` settings, then the ``POCHTA`` dict."""
    table = project.get("POCHTA", {})
    if not isinstance(table, Mapping):
        raise ConfigurationError(
            f"POCHTA setting {table!r} is not a dict; give e.g. "
            f"POCHTA = {{'DATABASE': BASE_DIR / '.pochta' / 'mail.db'}}"
        )
    unknown = sorted(set(map(str, table)) - set(_FIELDS))
    if unknown:
        raise ConfigurationError(
            f"POCHTA has unknown keys {', '.join(unknown)}; known keys are "
            f"{', '.join(sorted(_FIELDS))}"
        )
    given = {name: project[f"POCHTA_{name}"] for name in _FIELDS if f"POCHTA_{name}" in project}
    given.update(table)
    return {name.lower(): _read(name, value) for name, value in given.items()}


def catcher_settings(
    project: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build the catcher's settings for a Django project.

    Precedence, per field: ``overrides`` (the command's options, ``None``
    values ignored), the ``POCHTA`` dict, ``POCHTA_<FIELD>`` settings, then
    what the project implies: SMTP on the default mailer's ``host:port``
    (``EMAIL_HOST:EMAIL_PORT`` without ``MAILERS``) when its smtp backend
    points at this machine and the project sets the port; AUTH that accepts
    any login when it logs in (a username and a password); the store in
    ``BASE_DIR/.pochta/mail.db``.
    Raises :class:`~pochta.exceptions.ConfigurationError` naming the bad value.
    """
    values: dict[str, Any] = {}
    target = default_target(project)
    if target is not None and target.port_given:
        values["smtp"] = target.address
    if target is not None and target.logs_in:
        # Django's smtp backend logs in when both are set; a catcher without AUTH refuses that.
        values["smtp_auth_accept_any"] = True
    if "BASE_DIR" in project:
        values["database"] = Path(project["BASE_DIR"]) / ".pochta" / "mail.db"
    values.update(_configured(project))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if values.get("smtp_auth_file") is not None:
        values.pop("smtp_auth_accept_any", None)
    try:
        return Settings(**values)
    except TypeError as error:
        raise ConfigurationError(f"pochta settings: {error}; check the POCHTA setting") from None
