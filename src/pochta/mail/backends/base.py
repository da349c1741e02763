"""The base class of every email backend, and what a backend may be given to send."""

from __future__ import annotations

import email.message
import inspect
from collections.abc import Collection, Sequence
from types import TracebackType
from typing import Any, Final, Protocol, Self

from pochta.exceptions import InvalidMailer
from pochta.mail.deprecation import warn_external

__all__ = ["NOT_PROVIDED", "BaseEmailBackend", "SendableMessage"]

#: The default of ``BaseEmailBackend``'s ``fail_silently``: "not given" (Django 6.1).
NOT_PROVIDED: Final[Any] = object()


class SendableMessage(Protocol):
    """What a backend needs from a message: pochta's, Django's, or your own.

    ``message()`` returns a stdlib message (``email.message.Message`` or its
    ``EmailMessage`` subclass); ``recipients()`` the envelope recipients.
    """

    from_email: str

    def message(self) -> email.message.Message:
        """Return the message as a stdlib email message."""
        ...

    def recipients(self) -> list[str]:
        """Return every envelope recipient address."""
        ...


class BaseEmailBackend:
    """Base class for email backends, with Django 6.1's contract.

    Subclasses must at least override :meth:`send_messages`. :meth:`open` and
    :meth:`close` are called around a ``with`` block, so several sends can share
    one connection::

        with mailers["default"] as backend:
            backend.send_messages(first_batch)
            backend.send_messages(second_batch)

    The constructor contract every backend keeps (so it works as a ``MAILERS``
    backend, in pochta and in Django 6.1):

    * take each option as an explicit keyword argument (the ``OPTIONS`` keys),
      consume them, and pass everything else (``**kwargs``, which holds
      ``alias``) to ``super().__init__()``; no ``*args``;
    * a backend that supports ``fail_silently`` takes it and sets
      ``self.fail_silently`` itself, without passing it on;
    * ``self.alias`` is the ``MAILERS`` alias, or ``None`` when the backend
      was made the old way (``EMAIL_BACKEND``, ``get_connection()``, directly).
      Only then may it read ``EMAIL_*`` settings; with an alias every value
      comes from the options, and a missing required one raises
      ``InvalidMailer(..., alias=self.alias)``.

    What reaches this constructor unconsumed is an error with an alias
    (``MAILERS['x']: Unknown options 'hots'.``) and a deprecation warning
    without one (Django 6.1 ignores it, and will refuse it in Django 2028).
    """

    alias: str | None

    def __init__(
        self,
        fail_silently: bool = NOT_PROVIDED,
        *,
        alias: str | None = None,
        _ignore_unknown_kwargs: Collection[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.alias = alias
        if fail_silently is NOT_PROVIDED:
            self._fail_silently = False
        else:
            # Django 6.1: a fail_silently that reaches the base class is not supported.
            self._fail_silently = fail_silently
            kwargs["fail_silently"] = fail_silently
        for name in _ignore_unknown_kwargs or ():
            # get_connection(**overrides) under MAILERS: options this backend may not take.
            kwargs.pop(name, None)
        if not kwargs:
            return
        names = ", ".join(repr(name) for name in kwargs)
        if alias is None:
            cls = type(self)
            warn_external(
                f"{cls.__module__}.{cls.__qualname__}.__init__() does not support {names}. "
                "In Django 2028, BaseEmailBackend will raise a TypeError for unknown "
                "keyword arguments.",
                skip_prefixes=("pochta.mail.backends",),
            )
            return
        raise InvalidMailer(f"Unknown options {names}.{_options_hint(type(self))}", alias=alias)

    @property
    def fail_silently(self) -> bool:
        """Whether errors are swallowed: set by backends that support it (Django 6.1).

        Reading it on a backend that never set it warns, as in Django.
        """
        own = getattr(self, "_own_fail_silently", NOT_PROVIDED)
        if own is not NOT_PROVIDED:
            return bool(own)
        warn_external(
            "BaseEmailBackend.fail_silently is deprecated. A subclass that supports "
            "fail_silently must set its own attribute."
        )
        return bool(getattr(self, "_fail_silently", False))

    @fail_silently.setter
    def fail_silently(self, value: bool) -> None:
        self._own_fail_silently = value

    def open(self) -> bool | None:
        """Open the connection if the backend has one; return whether it was opened now.

        The default does nothing and returns False.
        """
        return False

    def close(self) -> None:
        """Close the connection, if any. The default does nothing."""

    def __enter__(self) -> Self:
        try:
            self.open()
        except Exception:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Send ``email_messages``; return how many were sent."""
        raise NotImplementedError(
            "subclasses of BaseEmailBackend must override send_messages() method"
        )


def _options_hint(cls: type) -> str:
    """Name the options ``cls`` takes, from its constructors' keyword parameters."""
    names: list[str] = []
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or klass is BaseEmailBackend or klass is object:
            continue
        for parameter in inspect.signature(init).parameters.values():
            kinds = (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
            if parameter.kind in kinds and parameter.name not in {"self", *names}:
                names.append(parameter.name)
    taken = ", ".join(repr(name) for name in names) if names else "no options"
    return f" {cls.__module__}.{cls.__qualname__} takes {taken}."
