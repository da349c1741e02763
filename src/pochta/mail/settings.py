"""Where pochta.mail's settings come from, and their defaults.

Settings keep Django's names. Each lookup asks, in order:

1. values given to :func:`configure` (forget them with :func:`reset`);
2. ``django.conf.settings``, when Django is installed and its settings are configured
   (pochta never configures Django itself);
3. environment variables of the same name (``EMAIL_USE_TLS=true``, ``EMAIL_PORT=587``,
   ``ADMINS=ops@example.com,dev@example.com``);
4. Django's defaults, listed in :data:`DEFAULTS`.

The values given to :func:`configure` are the only module-level mutable state of
:mod:`pochta.mail` besides ``pochta.mail.outbox``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from pochta.exceptions import ConfigurationError

__all__ = [
    "DEFAULTS",
    "configure",
    "get_bool",
    "get_list",
    "get_setting",
    "get_str",
    "reset",
]

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
    custom backend can read its own settings with :func:`get_setting`.
    """
    for name in settings:
        if not name.isupper():
            raise ConfigurationError(
                f"setting name {name!r} is not upper case; settings use Django's names, "
                "such as EMAIL_HOST"
            )
    _configured.update(settings)


def reset() -> None:
    """Forget every value given to :func:`configure` (for tests)."""
    _configured.clear()


def _django_setting(name: str) -> tuple[bool, Any]:
    """Return ``(found, value)`` from ``django.conf.settings`` when it is configured."""
    # Django's settings cannot be configured before django.conf was imported, so a
    # process that never imported it skips the import (and works without Django).
    conf = sys.modules.get("django.conf")
    if conf is None:
        return False, None
    django_settings = getattr(conf, "settings", None)
    if django_settings is None or not django_settings.configured:
        return False, None
    missing = object()
    value = getattr(django_settings, name, missing)
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
    :class:`~pochta.exceptions.ConfigurationError`.
    """
    if name in _configured:
        return _configured[name]
    found, value = _django_setting(name)
    if found:
        return value
    text = os.environ.get(name)
    if text is not None:
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
