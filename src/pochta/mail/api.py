"""send_mail, send_mass_mail, mail_admins, mail_managers, mailers and get_connection.

As in Django 6.1: ``using="alias"`` picks a ``MAILERS`` entry; the
``connection``, ``fail_silently``, ``auth_user`` and ``auth_password``
arguments and ``get_connection()`` still work (as in 6.0) and warn with
Django's words (see :mod:`pochta.mail.deprecation`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pochta.exceptions import BackendNotFound, ConfigurationError
from pochta.mail import settings
from pochta.mail.backends.base import BaseEmailBackend
from pochta.mail.deprecation import (
    AUTH_ARGS_WARNING,
    CONNECTION_ARG_WARNING,
    FAIL_SILENTLY_ARG_WARNING,
    GET_CONNECTION_WARNING,
    NO_DEFAULT_MAILER_WARNING,
    deprecate_posargs,
    report_using_incompatibility,
    warn_external,
    warn_outward,
)
from pochta.mail.mailer import DEFAULT_MAILER_ALIAS, MailersHandler, import_backend
from pochta.mail.message import EmailMessage, EmailMultiAlternatives

__all__ = [
    "get_connection",
    "mail_admins",
    "mail_managers",
    "mailers",
    "send_mail",
    "send_mass_mail",
]

#: The ``MAILERS`` entries: ``mailers["alias"]``, ``mailers.default``, ``mailers.get()``.
mailers = MailersHandler()


def _import_legacy_backend(path: str) -> type[BaseEmailBackend]:
    try:
        return import_backend(path)
    except ImportError as error:
        raise BackendNotFound(
            f"email backend {path!r} cannot be imported ({error}); check EMAIL_BACKEND"
        ) from error


@deprecate_posargs(["fail_silently"])
def get_connection(
    backend: str | None = None, *, fail_silently: bool = False, **kwds: Any
) -> BaseEmailBackend:
    """Load an email backend and return an instance of it (deprecated in Django 6.1).

    Without ``MAILERS``: the backend named by dotted path (default
    ``EMAIL_BACKEND``), made with ``fail_silently`` (when true) and the other
    keyword arguments. With ``MAILERS``: the default mailer, the keyword
    arguments overriding its options; a dotted path is then a RuntimeError. An
    unknown path raises :class:`~pochta.exceptions.BackendNotFound` (an
    ``ImportError``). Use ``mailers["alias"]`` instead.
    """
    warn_external(GET_CONNECTION_WARNING)
    _warn_about_default_mailer()
    if fail_silently:
        kwds["fail_silently"] = fail_silently
    if mailers.is_configured:
        if backend is not None:
            raise RuntimeError("get_connection(backend, ...) is not supported with MAILERS.")
        return mailers.create_connection(DEFAULT_MAILER_ALIAS, _deprecated_kwargs=kwds)
    backend_class = _import_legacy_backend(backend or settings.get_str("EMAIL_BACKEND"))
    return backend_class(**kwds)


def _warn_about_default_mailer() -> None:
    """Warn, as Django 6.1 does, a project that sends by the implicit default (smtp, localhost)."""
    if not mailers.is_configured and not settings.email_settings_given():
        warn_outward(NO_DEFAULT_MAILER_WARNING)


def _check_legacy_arguments(
    fail_silently: bool,
    auth_user: str | None,
    auth_password: str | None,
    connection: BaseEmailBackend | None,
    using: str | None,
) -> BaseEmailBackend | None:
    """Warn about deprecated arguments, refuse clashing ones; return the connection to use."""
    if fail_silently:
        warn_external(FAIL_SILENTLY_ARG_WARNING, skip_frames=1)
    if auth_user is not None or auth_password is not None:
        warn_external(AUTH_ARGS_WARNING, skip_frames=1)
    if connection is not None:
        warn_external(CONNECTION_ARG_WARNING, skip_frames=1)
    if using is not None:
        report_using_incompatibility(connection, fail_silently, auth_user, auth_password)
        return None
    if connection is None:
        options: dict[str, Any] = {"fail_silently": fail_silently}
        if auth_user is not None:
            options["username"] = auth_user
        if auth_password is not None:
            options["password"] = auth_password
        return get_connection(**options)
    if fail_silently:
        raise TypeError(
            "fail_silently cannot be used with a connection. "
            "Pass fail_silently to get_connection() instead."
        )
    if auth_user is not None or auth_password is not None:
        raise TypeError(
            "auth_user and auth_password cannot be used with a connection. "
            "Pass auth_user and auth_password to get_connection() instead."
        )
    return connection


@deprecate_posargs(["fail_silently", "auth_user", "auth_password", "connection", "html_message"])
def send_mail(
    subject: str,
    message: str,
    from_email: str | None,
    recipient_list: Sequence[str],
    *,
    fail_silently: bool = False,
    auth_user: str | None = None,
    auth_password: str | None = None,
    connection: BaseEmailBackend | None = None,
    html_message: str | None = None,
    using: str | None = None,
) -> int:
    """Send one message to every address in ``recipient_list``; return 1 if sent, else 0.

    All recipients see each other in ``To``. ``from_email`` None means
    ``DEFAULT_FROM_EMAIL``; ``html_message`` adds an HTML alternative; ``using``
    names the ``MAILERS`` entry (default ``"default"``)::

        send_mail(
            "Account activated",
            "Congratulations, you're all ready to use our app!",
            "from@example.com",
            ["user@example.com"],
            using="notifications",
        )
    """
    connection = _check_legacy_arguments(
        fail_silently, auth_user, auth_password, connection, using
    )
    mail = EmailMultiAlternatives(
        subject, message, from_email, recipient_list, connection=connection
    )
    if html_message:
        mail.attach_alternative(html_message, "text/html")
    return mail.send(using=using)


@deprecate_posargs(["fail_silently", "auth_user", "auth_password", "connection"])
def send_mass_mail(
    datatuple: Iterable[tuple[str, str, str | None, Sequence[str]]],
    *,
    fail_silently: bool = False,
    auth_user: str | None = None,
    auth_password: str | None = None,
    connection: BaseEmailBackend | None = None,
    using: str | None = None,
) -> int:
    """Send each ``(subject, message, from_email, recipient_list)`` over ONE connection.

    Return the number of messages sent. ``using`` names the ``MAILERS`` entry.
    """
    chosen = _check_legacy_arguments(fail_silently, auth_user, auth_password, connection, using)
    backend = mailers[using] if using is not None else chosen
    assert backend is not None
    messages = [
        EmailMessage(subject, message, sender, recipients, connection=backend)
        for subject, message, sender, recipients in datatuple
    ]
    return backend.send_messages(messages)


def _is_lazy_text(value: object) -> bool:
    """Tell whether ``value`` is one of Django's lazy strings (``gettext_lazy``)."""
    functional = sys.modules.get("django.utils.functional")
    promise = getattr(functional, "Promise", None)
    return isinstance(promise, type) and isinstance(value, promise)


def _server_recipients(setting_name: str) -> list[str]:
    """Read ``ADMINS``/``MANAGERS`` as Django 6.0 does: a list of address strings."""
    value = settings.get_setting(setting_name)
    if not value:
        return []
    if isinstance(value, list | tuple) and all(
        isinstance(item, list | tuple) and len(item) == 2 for item in value
    ):
        warn_outward(
            f"Using (name, address) pairs in the {setting_name} setting is deprecated."
            " Replace with a list of email address strings."
        )
        value = [item[1] for item in value]
    if not isinstance(value, list | tuple) or not all(
        isinstance(address, str) or _is_lazy_text(address) for address in value
    ):
        raise ConfigurationError(
            f"The {setting_name} setting must be a list of email address strings. "
            f"It is {value!r}; give e.g. {setting_name} = ['ops@example.com']"
        )
    return [str(address) for address in value]


def _send_server_message(
    setting_name: str,
    subject: str,
    message: str,
    *,
    fail_silently: bool,
    connection: BaseEmailBackend | None,
    html_message: str | None,
    using: str | None,
) -> None:
    if fail_silently:
        warn_external(FAIL_SILENTLY_ARG_WARNING, skip_frames=1)
    if connection is not None:
        warn_external(CONNECTION_ARG_WARNING, skip_frames=1)
    if using is not None:
        report_using_incompatibility(connection, fail_silently)
    elif connection is not None and fail_silently:
        raise TypeError(
            "fail_silently cannot be used with a connection. "
            "Pass fail_silently to get_connection() instead."
        )
    recipients = _server_recipients(setting_name)
    if not recipients:
        return
    mail = EmailMultiAlternatives(
        subject=f"{settings.get_str('EMAIL_SUBJECT_PREFIX')}{subject}",
        body=message,
        from_email=settings.get_str("SERVER_EMAIL"),
        to=recipients,
        connection=connection,
    )
    if html_message:
        mail.attach_alternative(html_message, "text/html")
    mail.send(fail_silently, using=using)


@deprecate_posargs(["fail_silently", "connection", "html_message"])
def mail_admins(
    subject: str,
    message: str,
    *,
    fail_silently: bool = False,
    connection: BaseEmailBackend | None = None,
    html_message: str | None = None,
    using: str | None = None,
) -> None:
    """Send a message to the ``ADMINS``, from ``SERVER_EMAIL``; nothing if none are set.

    The subject gets the ``EMAIL_SUBJECT_PREFIX``; ``using`` names the ``MAILERS`` entry.
    """
    _send_server_message(
        "ADMINS",
        subject,
        message,
        fail_silently=fail_silently,
        connection=connection,
        html_message=html_message,
        using=using,
    )


@deprecate_posargs(["fail_silently", "connection", "html_message"])
def mail_managers(
    subject: str,
    message: str,
    *,
    fail_silently: bool = False,
    connection: BaseEmailBackend | None = None,
    html_message: str | None = None,
    using: str | None = None,
) -> None:
    """Send a message to the ``MANAGERS``, from ``SERVER_EMAIL``; nothing if none are set.

    The subject gets the ``EMAIL_SUBJECT_PREFIX``; ``using`` names the ``MAILERS`` entry.
    """
    _send_server_message(
        "MANAGERS",
        subject,
        message,
        fail_silently=fail_silently,
        connection=connection,
        html_message=html_message,
        using=using,
    )
