"""Where pochta.mail's settings come from, and their defaults.

Settings keep Django's names. Each lookup asks, in order:

1. values given to :func:`configure` (forget them with :func:`reset`);
2. ``django.conf.settings``, when Django is installed and its settings are configured
   (pochta never configures Django itself);
3. environment variables of the same name (``EMAIL_USE_TLS=true``, ``EMAIL_PORT=587``,
   ``ADMINS=ops@example.com,dev@example.com``, ``MAILERS`` as JSON);
4. Django's defaults, listed in :data:`DEFAULTS`.

``MAILERS`` (Django 6.1) has no default: :func:`get_mailers` returns None while
no source defines it, and then the deprecated ``EMAIL_*`` settings of
:data:`DEPRECATED_EMAIL_SETTINGS` work as in Django 6.0. Once it is defined
they are not available, and one source may not define both.

The values given to :func:`configure` are the only module-level mutable state of
:mod:`pochta.mail` besides ``pochta.mail.outbox``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pochta.exceptions import ConfigurationError, InvalidMailer
from pochta.mail.deprecation import EMAIL_SETTING_DEPRECATED_MSG, warn_external, warn_outward

__all__ = [
    "DEFAULTS",
    "DEPRECATED_EMAIL_SETTINGS",
    "check_mailers",
    "configure",
    "email_settings_given",
    "get_bool",
    "get_list",
    "get_mailers",
    "get_setting",
    "get_str",
    "reset",
]

#: The settings Django 6.1 deprecates in favour of ``MAILERS``.
DEPRECATED_EMAIL_SETTINGS = frozenset(
    {
        "EMAIL_BACKEND",
        "EMAIL_FILE_PATH",
        "EMAIL_HOST",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_HOST_USER",
        "EMAIL_PORT",
        "EMAIL_SSL_CERTFILE",
        "EMAIL_SSL_KEYFILE",
        "EMAIL_TIMEOUT",
        "EMAIL_USE_SSL",
        "EMAIL_USE_TLS",
    }
)

DEFAULTS: Mapping[str, Any] = {
    "EMAIL_BACKEND": "pochta.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "localhost",
    "EMAIL_PORT": 25,
    "EMAIL_HOST_USER": "",
    "EMAIL_HOST_PASSWORD": "",
    "EMAIL_USE_TLS": False,
    "EMAIL_USE_SSL": False,
    "EMAIL_SSL_CERTFILE": None,
    "EMAIL_SSL_KEYFILE": None,
    "EMAIL_TIMEOUT": None,
    "EMAIL_FILE_PATH": None,
    "DEFAULT_FROM_EMAIL": "webmaster@localhost",
    "SERVER_EMAIL": "root@localhost",
    "EMAIL_SUBJECT_PREFIX": "[Django] ",
    "ADMINS": [],
    "MANAGERS": [],
    "EMAIL_USE_LOCALTIME": False,
    "DEFAULT_CHARSET": "utf-8",
    # The queue backend and ``pochta worker`` (docs/sending.md).
    "EMAIL_QUEUE_PATH": ".pochta/queue.db",
    "EMAIL_QUEUE_BACKEND": "pochta.mail.backends.smtp.EmailBackend",
    "EMAIL_QUEUE_MAX_ATTEMPTS": 8,
    "EMAIL_QUEUE_RETRY_DELAY": 30.0,
    "EMAIL_QUEUE_MAX_RETRY_DELAY": 3600.0,
    "EMAIL_QUEUE_LEASE": 300.0,
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

_configured: dict[str, Any] = {}


def configure(**settings: Any) -> None:
    """Set settings for this process; they win over Django, the environment and defaults.

    ::

        import pochta.mail

        pochta.mail.configure(EMAIL_BACKEND="pochta.mail.backends.console.EmailBackend")

    Repeated calls add to (and override) earlier ones. Unknown names are kept, so a
    custom backend can read its own settings with :func:`get_setting`. A
    ``MAILERS`` dict is checked here; with it, no ``EMAIL_*`` setting of
    :data:`DEPRECATED_EMAIL_SETTINGS` may be configured (Django 6.1's rule).
    Nothing is kept from a call that raises.
    """
    for name in settings:
        if not name.isupper():
            raise ConfigurationError(
                f"setting name {name!r} is not upper case; settings use Django's names, "
                "such as EMAIL_HOST"
            )
    merged = {**_configured, **settings}
    _check_conflicts(merged, "pochta.mail.configure()")
    if "MAILERS" in settings:
        check_mailers(settings["MAILERS"])
    for name in sorted(DEPRECATED_EMAIL_SETTINGS.intersection(settings)):
        warn_external(EMAIL_SETTING_DEPRECATED_MSG.format(name=name))
    _configured.update(settings)


def reset() -> None:
    """Forget every value given to :func:`configure` (for tests)."""
    _configured.clear()


def _check_conflicts(names: Iterable[str], source: str) -> None:
    """Raise Django 6.1's error when one source defines MAILERS and a deprecated setting."""
    names = set(names)
    deprecated = DEPRECATED_EMAIL_SETTINGS.intersection(names)
    if deprecated and "MAILERS" in names:
        raise ConfigurationError(
            "Deprecated email settings are not allowed when MAILERS is defined: "
            f"{', '.join(sorted(deprecated))}. Remove them from {source}: each becomes "
            "an OPTION of a MAILERS entry (see docs/mail.md)."
        )


def _django_settings() -> Any:
    """Return ``django.conf.settings`` when Django is imported and configured, else None."""
    # Django's settings cannot be configured before django.conf was imported, so a
    # process that never imported it skips the import (and works without Django).
    conf = sys.modules.get("django.conf")
    django_settings = getattr(conf, "settings", None)
    if django_settings is None or not django_settings.configured:
        return None
    return django_settings


def _django_setting(name: str) -> tuple[bool, Any]:
    """Return ``(found, value)`` from ``django.conf.settings`` when it is configured."""
    django_settings = _django_settings()
    if django_settings is None:
        return False, None
    # Django 6.1 warns code outside Django that reads a deprecated EMAIL_* setting.
    # pochta's backends read them on Django's behalf, as Django's own backends do
    # (silently), so they read the settings object behind the lazy proxy.
    holder = django_settings._wrapped if name in DEPRECATED_EMAIL_SETTINGS else django_settings
    missing = object()
    value = getattr(holder, name, missing)
    if value is missing:
        return False, None
    return True, value


def _parse_bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(
        f"environment variable {name}={text!r} is not a yes/no value; use true or false"
    )


def _parse_int(name: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigurationError(
            f"environment variable {name}={text!r} is not a whole number; use e.g. {name}=25"
        ) from None


def _parse_timeout(name: str, text: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text.strip())
    except ValueError:
        raise ConfigurationError(
            f"environment variable {name}={text!r} is not a number of seconds; use e.g. {name}=10"
        ) from None


def _parse_float(name: str, text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ConfigurationError(
            f"environment variable {name}={text!r} is not a number; use e.g. {name}=30"
        ) from None


def _parse_list(name: str, text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _parse_str(name: str, text: str) -> str:
    return text


def _parse_optional_str(name: str, text: str) -> str | None:
    return text or None


def _parser_for(name: str) -> Callable[[str, str], Any]:
    if name == "EMAIL_TIMEOUT":
        return _parse_timeout
    default = DEFAULTS.get(name)
    if isinstance(default, bool):
        return _parse_bool
    if isinstance(default, int):
        return _parse_int
    if isinstance(default, float):
        return _parse_float
    if isinstance(default, list):
        return _parse_list
    if default is None:
        return _parse_optional_str
    return _parse_str


def get_setting(name: str) -> Any:
    """Return the value of setting ``name``, following the order in the module docstring.

    An environment variable is parsed by the type of the setting's default: booleans
    accept ``1/true/yes/on`` and ``0/false/no/off``, numbers must be numbers, lists
    are comma-separated. A name with no value anywhere raises
    :class:`~pochta.exceptions.ConfigurationError`, and so does a deprecated
    ``EMAIL_*`` setting once ``MAILERS`` is defined (Django 6.1 makes it unavailable).
    """
    if name == "MAILERS":
        mailers = get_mailers()
        if mailers is None:
            raise ConfigurationError(
                "MAILERS is not defined; give it with pochta.mail.configure(MAILERS=...), "
                "in Django's settings, or as JSON in the MAILERS environment variable"
            )
        return mailers
    if name in DEPRECATED_EMAIL_SETTINGS and get_mailers() is not None:
        raise ConfigurationError(
            f"The {name} setting is not available when MAILERS is defined; "
            "give the value as an OPTION of the MAILERS entry instead (see docs/mail.md)"
        )
    if name in _configured:
        return _configured[name]
    found, value = _django_setting(name)
    if found:
        return value
    text = os.environ.get(name)
    if text is not None:
        if name in DEPRECATED_EMAIL_SETTINGS:
            warn_outward(EMAIL_SETTING_DEPRECATED_MSG.format(name=name))
        return _parser_for(name)(name, text)
    if name in DEFAULTS:
        default = DEFAULTS[name]
        return list(default) if isinstance(default, list) else default
    raise ConfigurationError(
        f"setting {name} has no value; set it with pochta.mail.configure({name}=...) "
        "or an environment variable"
    )


def get_str(name: str) -> str:
    """Return a setting as text (``None`` becomes ``""``)."""
    value = get_setting(name)
    return "" if value is None else str(value)


def get_bool(name: str) -> bool:
    """Return a setting as a boolean."""
    return bool(get_setting(name))


def get_list(name: str) -> list[str]:
    """Return a list setting such as ``ADMINS`` (a single string is one address)."""
    value = get_setting(name)
    if isinstance(value, str):
        return _parse_list(name, value)
    return list(value)


def email_settings_given() -> bool:
    """Tell whether any source sets a deprecated ``EMAIL_*`` setting (defaults do not count)."""
    if DEPRECATED_EMAIL_SETTINGS.intersection(_configured):
        return True
    django_settings = _django_settings()
    if django_settings is not None and any(
        django_settings.is_overridden(name) for name in DEPRECATED_EMAIL_SETTINGS
    ):
        return True
    return any(name in os.environ for name in DEPRECATED_EMAIL_SETTINGS)


def get_mailers() -> dict[str, dict[str, Any]] | None:
    """Return ``MAILERS`` from the first source that defines it, checked; None if none does.

    In the environment it is JSON: ``MAILERS='{"default": {"OPTIONS": {"host": "localhost"}}}'``
    (an empty variable counts as not set). There it may not come with
    deprecated ``EMAIL_*`` variables.
    """
    if "MAILERS" in _configured:
        return check_mailers(_configured["MAILERS"])
    found, value = _django_setting("MAILERS")
    if found:
        return check_mailers(value)
    text = os.environ.get("MAILERS", "")
    if not text.strip():
        return None
    _check_conflicts(
        (n for n in os.environ if n in DEPRECATED_EMAIL_SETTINGS or n == "MAILERS"),
        "the environment",
    )
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ConfigurationError(
            f"environment variable MAILERS is not valid JSON ({error}); give e.g. "
            'MAILERS=\'{"default": {"OPTIONS": {"host": "localhost"}}}\''
        ) from None
    return check_mailers(value)


_ENTRY_KEYS = frozenset({"BACKEND", "OPTIONS"})


def check_mailers(value: Any) -> dict[str, dict[str, Any]]:
    """Return ``value`` if it has the shape of ``MAILERS``; raise naming what is wrong.

    ``{alias: {"BACKEND": "dotted.path", "OPTIONS": {name: value}}}``, both keys
    optional. (Django ignores other keys in an entry; pochta refuses them, so a
    typo such as ``"OPTION"`` does not silently lose the options.)
    """
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"MAILERS {value!r} is not a dict; give "
            "{'default': {'BACKEND': 'pochta.mail.backends.smtp.EmailBackend', "
            "'OPTIONS': {'host': 'localhost'}}}"
        )
    for alias, entry in value.items():
        if not isinstance(alias, str):
            raise ConfigurationError(f"MAILERS alias {alias!r} is not a string; name it")
        if not isinstance(entry, Mapping):
            raise InvalidMailer(
                f"{entry!r} is not a dict; give {{'BACKEND': ..., 'OPTIONS': {{...}}}}",
                alias=alias,
            )
        unknown = sorted(set(map(str, entry)) - _ENTRY_KEYS)
        if unknown:
            raise InvalidMailer(
                f"unknown keys {', '.join(map(repr, unknown))}; an entry has only "
                "'BACKEND' and 'OPTIONS'",
                alias=alias,
            )
        if not isinstance(entry.get("BACKEND", ""), str):
            raise InvalidMailer(f"BACKEND {entry['BACKEND']!r} is not a dotted path", alias=alias)
        options = entry.get("OPTIONS", {})
        if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
            raise InvalidMailer(
                f"OPTIONS {options!r} is not a dict of keyword arguments", alias=alias
            )
    return dict(value)
