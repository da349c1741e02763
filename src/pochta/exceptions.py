"""Every public error pochta raises, in one tree.

::

    PochtaError
    ├── BadHeaderError (ValueError)        a header value would inject a header or command
    ├── ConfigurationError (ValueError)    a setting is wrong; the message says how to fix it
    ├── BackendNotFound (ImportError)      EMAIL_BACKEND names nothing importable
    ├── QueryError (ValueError)            search text that cannot be understood
    ├── StoreError                         the store could not do what was asked (SMTP 451)
    │   ├── StoreFullError                 the disk is full (SMTP 452)
    │   ├── StoreFormatError               the file is not a pochta store, or a newer one
    │   └── MessageNotFound (KeyError)     no message with that id
    ├── ServeError                         ``pochta serve`` could not start (port in use, ...)
    ├── RelayError                         the relay or forward host refused a message, or is down
    ├── APIError                           the catcher's API answered with an error
    └── MailAssertionError (AssertionError)  a test's expected message, link or code is not there
"""

from __future__ import annotations

__all__ = [
    "APIError",
    "BackendNotFound",
    "BadHeaderError",
    "ConfigurationError",
    "MailAssertionError",
    "MessageNotFound",
    "PochtaError",
    "QueryError",
    "RelayError",
    "ServeError",
    "StoreError",
    "StoreFormatError",
    "StoreFullError",
]


class PochtaError(Exception):
    """The root of every error pochta raises on purpose."""


class BadHeaderError(PochtaError, ValueError):
    """A header value, address or file name holds CR, LF or an encoded newline."""


class ConfigurationError(PochtaError, ValueError):
    """A setting has a value pochta cannot use; the message names it and the fix."""


class BackendNotFound(PochtaError, ImportError):
    """The dotted path given as an email backend does not name an importable class."""


class QueryError(PochtaError, ValueError):
    """Search text that cannot be turned into a query."""


class StoreError(PochtaError):
    """The store failed; nothing was half-written."""


class StoreFullError(StoreError):
    """The disk holding the store is full."""


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
