"""What Django 6.1 deprecates in email, warned about with Django's words.

Django 6.1 replaces ``EMAIL_BACKEND``, the other ``EMAIL_*`` connection
settings and ``get_connection()`` with ``MAILERS`` (see docs/mail.md); the
old API keeps working until "Django 2028" and warns. pochta warns where
Django does, with the same texts and a warning class of the same name:
:class:`RemovedInDjango2028Warning`, a ``PendingDeprecationWarning`` (hidden
by Python's default filters, shown by ``-W default`` and by pytest). In a
process that has loaded ``django.utils.deprecation``, the warning is also an
instance of Django's class of that name, so Django's filters apply to it.

Most warnings are about *your* code: like Django's ``warn_about_external_use``,
:func:`warn_external` stays quiet when the caller is pochta or Django itself
(one deprecated path built on another warns once, where you called it).
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, ParamSpec, TypeVar

from pochta.exceptions import loaded_class, twin_class

__all__ = [
    "AUTH_ARGS_WARNING",
    "CONNECTION_ARG_WARNING",
    "EMAIL_SETTING_DEPRECATED_MSG",
    "FAIL_SILENTLY_ARG_WARNING",
    "GET_CONNECTION_WARNING",
    "NO_DEFAULT_MAILER_WARNING",
    "RemovedInDjango70Warning",
    "RemovedInDjango2028Warning",
    "deprecate_posargs",
    "report_using_incompatibility",
    "warn_external",
    "warn_outward",
    "warning_category",
]

P = ParamSpec("P")
R = TypeVar("R")


class RemovedInDjango2028Warning(PendingDeprecationWarning):
    """A Django 6.1 deprecation: the feature goes in Django 2028 (formerly "7.0")."""


#: Django 6.1.0 and 6.1.1 named the class after Django 7.0; the alias is kept, as in Django.
RemovedInDjango70Warning = RemovedInDjango2028Warning

GET_CONNECTION_WARNING = (
    "get_connection() is deprecated. See 'Migrating email to mailers' "
    "in Django's documentation for recommended replacements."
)
FAIL_SILENTLY_ARG_WARNING = (
    "The 'fail_silently' argument is deprecated. See 'Migrating email to "
    "mailers' in Django's documentation for recommended replacements."
)
AUTH_ARGS_WARNING = (
    "The 'auth_user' and 'auth_password' arguments are deprecated. Set "
    "'username' and 'password' OPTIONS in MAILERS instead."
)
CONNECTION_ARG_WARNING = (
    "The 'connection' argument is deprecated. Switch to the 'using' argument with a MAILERS alias."
)
NO_DEFAULT_MAILER_WARNING = (
    "Django 2028 will not have a default mailer. Configure "
    "settings.MAILERS to avoid errors when sending email."
)
EMAIL_SETTING_DEPRECATED_MSG = (
    "The {name} setting is deprecated. Migrate to MAILERS before Django 2028."
)

# Callers under these names are "internal": they never see a warning meant for users.
_INTERNAL = ("pochta.", "django.")


def warning_category() -> type[Warning]:
    """Return the class to warn with: pochta's, twinned with Django's when it is loaded."""
    django_class = loaded_class(
        "django.utils.deprecation", "RemovedInDjango2028Warning", "RemovedInDjango70Warning"
    )
    if django_class is None or not issubclass(django_class, Warning):
        return RemovedInDjango2028Warning
    twin: type[Warning] = twin_class(RemovedInDjango2028Warning, django_class)
    return twin


def _qualified_name(frame: FrameType) -> str:
    module = frame.f_globals.get("__name__", "__main__")
    return f"{module}.{frame.f_code.co_qualname}"


def _effective_caller(skip_prefixes: tuple[str, ...], skip_frames: int) -> tuple[int, bool]:
    """Return ``(stacklevel, internal)`` of the code that used the deprecated feature.

    The stacklevel is counted for a ``warnings.warn`` called in :func:`warn_external`.
    The wrappers of :func:`deprecate_posargs` are never counted.
    """
    wrapper = f"{__name__}.deprecate_posargs."

    def back(frame: FrameType | None, level: int) -> tuple[FrameType | None, int]:
        frame, level = (frame.f_back, level + 1) if frame is not None else (None, level)
        while frame is not None and _qualified_name(frame).startswith(wrapper):
            frame, level = frame.f_back, level + 1
        return frame, level

    # Frame 0 is this function, 1 warn_external, 2 the deprecated function, 3 its caller.
    frame, level = back(sys._getframe(2), 2)
    while frame is not None and skip_prefixes and _qualified_name(frame).startswith(skip_prefixes):
        frame, level = back(frame, level)
    for _ in range(skip_frames):
        frame, level = back(frame, level)
    internal = frame is not None and _qualified_name(frame).startswith(_INTERNAL)
    return level, internal


def warn_external(
    message: str, *, skip_prefixes: tuple[str, ...] = (), skip_frames: int = 0
) -> None:
    """Warn that the caller of the calling function uses a deprecated feature.

    Frames whose ``module.qualname`` starts with one of ``skip_prefixes`` are
    passed over, then ``skip_frames`` more; the warning is given only when the
    frame reached is neither pochta's nor Django's, and it points there.
    """
    level, internal = _effective_caller(skip_prefixes, skip_frames)
    if not internal:
        warnings.warn(message, warning_category(), stacklevel=level)


def warn_outward(message: str) -> None:
    """Warn whoever called, pointing at the first frame outside pochta."""
    # Frame 1 is the caller, which warnings.warn counts as stacklevel 2.
    frame: FrameType | None = sys._getframe(1)
    level = 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("pochta."):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, warning_category(), stacklevel=level)


def report_using_incompatibility(
    connection: object = None,
    fail_silently: bool = False,
    auth_user: str | None = None,
    auth_password: str | None = None,
) -> None:
    """Raise TypeError for arguments that cannot be given with ``using=`` (Django's order)."""
    if connection is not None:
        raise TypeError("'connection' is not compatible with 'using'.")
    if fail_silently:
        raise TypeError("'fail_silently' is not compatible with 'using'.")
    if auth_user is not None or auth_password is not None:
        raise TypeError(
            "'auth_user' and 'auth_password' are not compatible with 'using'. "
            "Set 'username' and 'password' OPTIONS in MAILERS instead."
        )


def _display_name(func: Callable[..., Any]) -> str:
    if func.__name__ == "__init__":
        return func.__qualname__.rsplit("<locals>.", 1)[-1].replace(".__init__", "")
    return func.__name__


def deprecate_posargs(names: Sequence[str]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept ``names`` (now keyword-only) by position too, with Django 6.0's warning.

    ``names`` are in their old positional order. Too many positional
    arguments, or one given both ways, raise Django's ``TypeError``.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        parameters = inspect.signature(func).parameters.values()
        positional = sum(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters
        )
        most = positional + len(names)
        name = _display_name(func)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if len(args) <= positional:
                return func(*args, **kwargs)
            if len(args) > most:
                raise TypeError(
                    f"{name}() takes at most {most} positional argument(s) (including "
                    f"{len(names)} deprecated) but {len(args)} were given."
                )
            moved = list(names[: len(args) - positional])
            both = [n for n in moved if n in kwargs]
            if both:
                listed = ", ".join(f"'{n}'" for n in both)
                raise TypeError(
                    f"{name}() got both deprecated positional and keyword argument "
                    f"values for {listed}."
                )
            listed = ", ".join(f"'{n}'" for n in moved)
            warn_outward(
                f"Passing positional argument(s) {listed} to {name}() is deprecated. "
                "Use keyword arguments instead."
            )
            kwargs.update(zip(moved, args[positional:], strict=True))
            return func(*args[:positional], **kwargs)  # type: ignore[arg-type]

        return wrapper

    return decorate
