"""send_mail, send_mass_mail, mail_admins, mail_managers and get_connection, as in Django."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import Any

from pochta.exceptions import BackendNotFound, ConfigurationError
from pochta.mail import settings
from pochta.mail.backends.base import BaseEmailBackend
from pochta.mail.message import EmailMessage, EmailMultiAlternatives

__all__ = ["get_connection", "mail_admins", "mail_managers", "send_mail", "send_mass_mail"]


def _import_backend(path: str) -> type[BaseEmailBackend]:
    module_path, _, class_name = path.rpartition(".")
    if not module_path:
        raise BackendNotFound(
            f"email backend {path!r} is not a dotted path; "
            "use e.g. 'pochta.mail.backends.smtp.EmailBackend'"
        )
    try:
        module = importlib.import_module(module_path)
    except ImportError as error:
        raise BackendNotFound(
            f"email backend {path!r} cannot be imported ({error}); check EMAIL_BACKEND"
        ) from error
    try:
        backend: type[BaseEmailBackend] = getattr(module, class_name)
    except AttributeError:
        raise BackendNotFound(
            f"email backend {path!r}: module {module_path!r} has no {class_name!r}; "
            "check EMAIL_BACKEND"
        ) from None
    return backend


def get_connection(
    backend: str | None = None, fail_silently: bool = False, **kwds: Any
) -> BaseEmailBackend:
    """Load an email backend by dotted path and return an instance of it.

    ``backend`` defaults to the ``EMAIL_BACKEND`` setting; ``fail_silently`` and the
    other keyword arguments go to the backend's constructor. An unknown path raises
    :class:`~pochta.exceptions.BackendNotFound` (an ``ImportError``).
    """
    backend_class = _import_backend(backend or settings.get_str("EMAIL_BACKEND"))
    return backend_class(fail_silently=fail_silently, **kwds)


def send_mail(
    subject: str,
    message: str,
    from_email: str | None,
    recipient_list: Sequence[str],
    fail_silently: bool = False,
    auth_user: str | None = None,
    auth_password: str | None = None,
    connection: BaseEmailBackend | None = None,
    html_message: str | None = None,
) -> int:
    """Send one message to every address in ``recipient_list``; return 1 if sent, else 0.

    All recipients see each other in ``To``. ``from_email`` None means
    ``DEFAULT_FROM_EMAIL``; ``html_message`` adds an HTML alternative::

        send_mail(
            subject="Another Beatles member",
            message="Ringo Starr tried to post!",
            from_email="birthday_form@acme.not",
            recipient_list=["admin@acme.not"],
            fail_silently=True,
        )
    """
    connection = connection or get_connection(
        username=auth_user, password=auth_password, fail_silently=fail_silently
    )
    mail = EmailMultiAlternatives(
        subject, message, from_email, recipient_list, connection=connection
    )
    if html_message:
        mail.attach_alternative(html_message, "text/html")
    return mail.send()


def send_mass_mail(
    datatuple: Iterable[tuple[str, str, str | None, Sequence[str]]],
    fail_silently: bool = False,
    auth_user: str | None = None,
    auth_password: str | None = None,
    connection: BaseEmailBackend | None = None,
) -> int:
    """Send each ``(subject, message, from_email, recipient_list)`` over ONE connection.

    Return the number of messages sent.
    """
    connection = connection or get_connection(
        username=auth_user, password=auth_password, fail_silently=fail_silently
    )
    messages = [
        EmailMessage(subject, message, sender, recipients, connection=connection)
        for subject, message, sender, recipients in datatuple
    ]
    return connection.send_messages(messages)


def _server_recipients(setting_name: str) -> list[str]:
    value = settings.get_setting(setting_name)
    if isinstance(value, str):
        return settings.get_list(setting_name)
    if not isinstance(value, list | tuple):
        raise ConfigurationError(
            f"The {setting_name} setting must be a list of email address strings."
        )
    # Django before 6.0 used (name, address) pairs; take the address.
    recipients = [
        item[1] if isinstance(item, list | tuple) and len(item) == 2 else item for item in value
    ]
    if not all(isinstance(address, str) for address in recipients):
        raise ConfigurationError(
            f"The {setting_name} setting must be a list of email address strings."
        )
    return recipients


def _send_server_message(
    setting_name: str,
    subject: str,
    message: str,
    fail_silently: bool,
    connection: BaseEmailBackend | None,
    html_message: str | None,
) -> None:
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
    mail.send(fail_silently=fail_silently)


def mail_admins(
    subject: str,
    message: str,
    fail_silently: bool = False,
    connection: BaseEmailBackend | None = None,
    html_message: str | None = None,
) -> None:
    """Send a message to the ``ADMINS``, from ``SERVER_EMAIL``; nothing if none are set.

    The subject gets the ``EMAIL_SUBJECT_PREFIX``.
    """
    _send_server_message("ADMINS", subject, message, fail_silently, connection, html_message)


def mail_managers(
    subject: str,
    message: str,
    fail_silently: bool = False,
    connection: BaseEmailBackend | None = None,
    html_message: str | None = None,
) -> None:
    """Send a message to the ``MANAGERS``, from ``SERVER_EMAIL``; nothing if none are set.

    The subject gets the ``EMAIL_SUBJECT_PREFIX``.
    """
    _send_server_message("MANAGERS", subject, message, fail_silently, connection, html_message)
