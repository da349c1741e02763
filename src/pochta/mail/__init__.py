"""pochta.mail: a framework-free mirror of ``django.core.mail``.

Same names, signatures, defaults and return values as Django 6.1, whose
``MAILERS``, ``mailers`` and ``using=`` it has, and Django 6.0's API keeps
working unchanged while ``MAILERS`` is not defined::

    from pochta.mail import mailers, send_mail

    send_mail("Subject", "Body", "from@example.com", ["to@example.com"])
    send_mail("Subject", "Body", "from@example.com", ["to@example.com"], using="bulk")
    with mailers["bulk"] as backend:
        backend.send_messages(messages)

Settings keep Django's names (``MAILERS``, or ``EMAIL_BACKEND``, ``EMAIL_HOST``,
...); see :mod:`pochta.mail.settings` for where they are read from.

``outbox`` is Django's contract for the ``locmem`` backend: the list is created
when the first locmem backend is made, and every message it sends is appended.
Tests may empty it or replace it with a new list.
"""

from __future__ import annotations

from typing import Any

from pochta.exceptions import BadHeaderError, InvalidMailer, MailerDoesNotExist
from pochta.mail.api import (
    get_connection,
    mail_admins,
    mail_managers,
    mailers,
    send_mail,
    send_mass_mail,
)
from pochta.mail.header import DNS_NAME, CachedDnsName

# Importable but not in __all__, as in Django 6.1.
from pochta.mail.mailer import DEFAULT_MAILER_ALIAS as DEFAULT_MAILER_ALIAS
from pochta.mail.message import (
    DEFAULT_ATTACHMENT_MIME_TYPE,
    EmailAlternative,
    EmailAttachment,
    EmailMessage,
    EmailMultiAlternatives,
    make_msgid,
)
from pochta.mail.settings import configure, reset

__all__ = [
    "DEFAULT_ATTACHMENT_MIME_TYPE",
    "DNS_NAME",
    "BadHeaderError",
    "CachedDnsName",
    "EmailAlternative",
    "EmailAttachment",
    "EmailMessage",
    "EmailMultiAlternatives",
    "InvalidMailer",
    "MailerDoesNotExist",
    "configure",
    "get_connection",
    "mail_admins",
    "mail_managers",
    "mailers",
    "make_msgid",
    "reset",
    "send_mail",
    "send_mass_mail",
]

# Declared, not assigned: like django.core.mail.outbox, the name exists only once a
# locmem backend has been made (so it is not in __all__: a star import would fail).
outbox: list[Any]
