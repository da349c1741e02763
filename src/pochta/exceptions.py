"""Every public error pochta raises, in one tree.

::

    PochtaError
    ├── BadHeaderError (ValueError)        a header value would inject a header or command
    ├── ConfigurationError (ValueError)    a setting is wrong; the message says how to fix it
    │   └── InvalidMailer                  a MAILERS entry is wrong (Django 6.1's name)
    │       └── MailerDoesNotExist (KeyError)  no MAILERS entry has that alias
    ├── BackendNotFound (ImportError)      EMAIL_BACKEND names nothing importable
    ├── QueryError (ValueError)            search text that cannot be understood
    ├── StoreError                         the store could not do what was asked (SMTP 451)
    │   ├── StoreFullError                 the disk is full (SMTP 452)
    │   ├── StoreUnavailableError          the store's database server is not answering
    │   ├── StoreFormatError               the file is not a pochta store, or a newer one
    │   └── MessageNotFound (KeyError)     no message with that id
    ├── ServeError                         ``pochta serve`` could not start (port in use, ...)
    ├── RelayError                         the relay or forward host refused a message, or is down
    ├── APIError                           the catcher's API answered with an error
    └── MailAssertionError (AssertionError)  a test's expected message, link or code is not there

When Django is imported, a ``ConfigurationError`` (and so ``InvalidMailer`` and
``MailerDoesNotExist``) is also an instance of
``django.core.exceptions.ImproperlyConfigured``, so Django code that catches
that still catches pochta's configuration errors; without Django they are
plain ``ValueError`` subclasses. pochta never imports Django for this: the
twin class is made only when ``django.core.exceptions`` is already loaded
(code that names ``ImproperlyConfigured`` in an ``except`` has loaded it).
"""

from __future__ import annotations

import sys
from typing import Any, Self

__all__ = [
    "APIError",
    "BackendNotFound",
    "BadHeaderError",
    "ConfigurationError",
    "InvalidMailer",
    "MailAssertionError",
    "MailerDoesNotExist",
    "MessageNotFound",
    "PochtaError",
    "QueryError",
    "RelayError",
    "ServeError",
    "StoreError",
    "StoreFormatError",
    "StoreFullError",
    "StoreUnavailableError",
    "loaded_class",
    "twin_class",
]


class PochtaError(Exception):
    """The root of every error pochta raises on purpose."""


class BadHeaderError(PochtaError, ValueError):
    """A header value, address or file name holds CR, LF or an encoded newline."""


def loaded_class(module: str, *names: str) -> type | None:
    """Return the first of ``names`` in ``module`` if that module is already imported.

    Nothing is imported: pochta uses this to match Django's classes only in a
    process that loaded them.
    """
    loaded = sys.modules.get(module)
    for name in names:
        found = getattr(loaded, name, None)
        if isinstance(found, type):
            return found
    return None


# A cache, not state: one twin per pair of classes, so filters and `except` see one class.
_TWINS: dict[tuple[type, type], type] = {}


def twin_class(cls: type, other: type) -> type:
    """Return a subclass of both ``cls`` and ``other`` that reads as ``cls`` (same name).

    ``isinstance(x, cls)`` and ``isinstance(x, other)`` both hold for its
    instances; it is made once per pair.
    """
    if issubclass(cls, other):
        return cls
    twin = _TWINS.get((cls, other))
    if twin is None:
        namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        twin = _TWINS.setdefault((cls, other), type(cls.__name__, (cls, other), namespace))
        twin._twin_of = cls  # type: ignore[attr-defined]
    return twin


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle a configuration error without calling its ``__init__`` again."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigurationError(PochtaError, ValueError):
    """A setting has a value pochta cannot use; the message names it and the fix.

    Also a ``django.core.exceptions.ImproperlyConfigured`` when Django is loaded.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        improperly_configured = loaded_class("django.core.exceptions", "ImproperlyConfigured")
        chosen = cls if improperly_configured is None else twin_class(cls, improperly_configured)
        error: Self = super().__new__(chosen, *args)
        return error

    def __reduce__(self) -> tuple[Any, ...]:
        original = vars(type(self)).get("_twin_of", type(self))
        return (_rebuild, (original, self.args, dict(vars(self))))


class InvalidMailer(ConfigurationError):
    """A ``MAILERS`` entry cannot be used; the message starts ``MAILERS['alias']:``.

    As Django 6.1's ``django.core.mail.InvalidMailer``: ``alias`` (keyword only)
    puts that prefix in front of the message.
    """

    def __init__(self, msg: str, *, alias: str | None = None) -> None:
        if alias is not None:
            msg = f"MAILERS[{alias!r}]: {msg}"
        super().__init__(msg)


class MailerDoesNotExist(InvalidMailer, KeyError):
    """No ``MAILERS`` entry has the alias asked for (``mailers["nope"]``).

    A ``KeyError`` too, as in Django 6.1, so ``str()`` of it is quoted.
    """

    def __init__(self, *, alias: str) -> None:
        # As in Django: the alias is keyword only and this is its only message.
        super().__init__(f"The mailer '{alias}' is not configured.")


class BackendNotFound(PochtaError, ImportError):
    """The dotted path given as an email backend does not name an importable class."""


class QueryError(PochtaError, ValueError):
    """Search text that cannot be turned into a query."""


class StoreError(PochtaError):
    """The store failed; nothing was half-written."""


class StoreFullError(StoreError):
    """The disk holding the store is full."""


class StoreUnavailableError(StoreError):
    """The store's database server (PostgreSQL) cannot be reached just now; it is retried."""


class StoreFormatError(StoreError):
    """The database file is not a pochta store, or was written by a newer pochta."""


class MessageNotFound(StoreError, KeyError):
    """No stored message has the given id."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a message should read as a sentence.
        return str(self.args[0]) if self.args else "message not found"


class ServeError(PochtaError):
    """``pochta serve`` could not start; nothing was left half-running."""


class RelayError(PochtaError):
    """Sending a message on through the relay (or forward) host failed.

    ``reply`` is the upstream's own SMTP reply (``550 5.1.1 <a@b>: no such
    user``) when it gave one, else empty (it could not be reached).
    """

    def __init__(self, text: str, *, reply: str = "") -> None:
        super().__init__(text)
        self.reply = reply


class APIError(PochtaError):
    """The catcher's JSON API answered with an error; the message holds its ``Error`` text."""


class MailAssertionError(PochtaError, AssertionError):
    """A message, link or code a test expects is not there; the message shows what is."""
