"""``mailers``: the email backends named in ``MAILERS``, as Django 6.1's ``MailersHandler``.

::

    MAILERS = {
        "default": {"OPTIONS": {"host": "smtp.example.net", "use_tls": True}},
        "bulk": {"BACKEND": "pochta.mail.backends.store.EmailBackend"},
    }

    with mailers["bulk"] as backend:
        backend.send_messages(messages)

Each entry's ``BACKEND`` (default :data:`DEFAULT_MAILER_BACKEND`) is made with
its ``OPTIONS`` as keyword arguments plus ``alias=``. Nothing is cached: every
lookup reads the settings and makes a new backend, which the caller owns.
While ``MAILERS`` is not defined, ``mailers["default"]`` is made the Django 6.0
way (``EMAIL_BACKEND`` and the ``EMAIL_*`` settings, no alias) and every other
alias does not exist; ``"default" in mailers`` is then False, as in Django.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any, Final

from pochta.exceptions import InvalidMailer, MailerDoesNotExist
from pochta.mail import settings
from pochta.mail.backends.base import BaseEmailBackend

__all__ = [
    "DEFAULT_MAILER_ALIAS",
    "DEFAULT_MAILER_BACKEND",
    "MailersHandler",
    "import_backend",
]

#: The alias used when no ``using=`` is given.
DEFAULT_MAILER_ALIAS: Final = "default"

#: The ``BACKEND`` of an entry that names none (not related to the default mailer).
DEFAULT_MAILER_BACKEND: Final = "pochta.mail.backends.smtp.EmailBackend"


def import_backend(path: str) -> type[BaseEmailBackend]:
    """Import the class a dotted path names; raise ImportError with Django's wording."""
    module_path, _, class_name = path.rpartition(".")
    if not module_path:
        raise ImportError(f"{path} doesn't look like a module path")
    module = importlib.import_module(module_path)
    try:
        backend: type[BaseEmailBackend] = getattr(module, class_name)
    except AttributeError:
        raise ImportError(
            f'Module "{module_path}" does not define a "{class_name}" attribute/class'
        ) from None
    return backend


class MailersHandler:
    """The ``MAILERS`` setting as a read-only mapping of aliases to new backends.

    ``mailers[alias]`` and ``mailers.get(alias)`` make a backend;
    ``mailers.default`` is ``mailers["default"]``; ``in`` and iteration look at
    the setting only and never make a backend.
    """

    def __getitem__(self, alias: str, /) -> BaseEmailBackend:
        return self.create_connection(alias)

    def __contains__(self, alias: object, /) -> bool:
        return alias in self.settings

    def __iter__(self) -> Iterator[str]:
        return iter(self.settings)

    def get(self, alias: str, /, default: Any = None) -> Any:
        """Return ``self[alias]``, or ``default`` when no entry has that alias.

        Other configuration errors (a bad option, a missing backend) still raise.
        """
        try:
            return self[alias]
        except MailerDoesNotExist:
            return default

    @property
    def default(self) -> BaseEmailBackend:
        """A new backend of the ``"default"`` mailer."""
        return self[DEFAULT_MAILER_ALIAS]

    @property
    def settings(self) -> Mapping[str, Mapping[str, Any]]:
        """The ``MAILERS`` setting now (empty while it is not defined)."""
        return settings.get_mailers() or {}

    @property
    def is_configured(self) -> bool:
        """Whether ``MAILERS`` is defined (Django 6.1's ``_is_configured``)."""
        return settings.get_mailers() is not None

    def create_connection(
        self, alias: str, /, *, _deprecated_kwargs: Mapping[str, Any] | None = None
    ) -> BaseEmailBackend:
        """Make the backend of ``alias`` (the hook ``get_connection()`` uses)."""
        configured = settings.get_mailers()
        if configured is None and alias == DEFAULT_MAILER_ALIAS:
            # No MAILERS: the default mailer is what Django 6.0 would have made.
            from pochta.mail.api import get_connection

            return get_connection()
        try:
            config = (configured or {})[alias]
        except KeyError:
            raise MailerDoesNotExist(alias=alias) from None
        options: dict[str, Any] = dict(config.get("OPTIONS", {}))
        if "alias" in options:
            raise InvalidMailer("OPTIONS must not define 'alias'.", alias=alias)
        if _deprecated_kwargs:
            # get_connection(**overrides) with MAILERS: the overrides win, and a backend
            # that does not take one of them ignores it instead of calling it unknown.
            options |= _deprecated_kwargs
            options["_ignore_unknown_kwargs"] = set(_deprecated_kwargs)
        backend_path = config.get("BACKEND", DEFAULT_MAILER_BACKEND)
        try:
            backend_class = import_backend(backend_path)
        except ImportError as error:
            raise InvalidMailer(
                f"Could not find BACKEND {backend_path!r}: {error}", alias=alias
            ) from error
        return backend_class(alias=alias, **options)
