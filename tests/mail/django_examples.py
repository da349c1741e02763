"""Django 6.1.3's own email examples, verbatim, with the settings each one needs.

``code`` is copied from Django's documentation (the file and lines are in
``source``); ``prelude`` and ``postlude`` are the context the page gives in
prose (variables a block uses, a call that shows the result). The mailers use
pochta's backends; ``{smtp}`` is replaced by the address of a recording SMTP
server. tests/mail/example_runner.py runs every example under pochta.mail
(only the import lines changed) and under Django 6.1 (unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXAMPLES", "Example"]

LOCMEM = {"BACKEND": "pochta.mail.backends.locmem.EmailBackend"}
SMTP = {"BACKEND": "pochta.mail.backends.smtp.EmailBackend", "OPTIONS": {"smtp": True}}


@dataclass(frozen=True, slots=True)
class Example:
    """One documented example and the settings it runs with."""

    source: str
    code: str
    mailers: dict[str, Any] = field(default_factory=lambda: {"default": LOCMEM})
    settings: dict[str, Any] = field(default_factory=dict)
    prelude: str = ""
    postlude: str = ""


EXAMPLES: dict[str, Example] = {
    "send_mail": Example(
        "docs/topics/email.txt:22-29",
        """
from django.core.mail import send_mail

send_mail(
    "Subject here",
    "Here is the message.",
    "from@example.com",
    ["to@example.com"],
)
""",
    ),
    "send_mail using": Example(
        "docs/topics/email.txt:180-188",
        """
from django.core.mail import send_mail

send_mail(
    "Account activated",
    "Congratulations, you're all ready to use our Django app!",
    "from@example.com",
    ["user@example.com"],
    using="notifications",
)
""",
        mailers={"default": LOCMEM, "notifications": LOCMEM},
    ),
    "send_mass_mail": Example(
        "docs/topics/email.txt:310-322",
        """
message1 = (
    "Subject here",
    "Here is the message",
    "from@example.com",
    ["first@example.com", "other@example.com"],
)
message2 = (
    "Another Subject",
    "Here is another message",
    "from@example.com",
    ["second@test.com"],
)
send_mass_mail((message1, message2))
""",
        prelude="from django.core.mail import send_mass_mail",
    ),
    "send_mail versus send_mass_mail": Example(
        "docs/topics/email.txt:361-375",
        """
send_mail(
    "Subject",
    "Message.",
    "from@example.com",
    ["john@example.com", "jane@example.com"],
)
datatuple = (
    ("Subject", "Message.", "from@example.com", ["john@example.com"]),
    ("Subject", "Message.", "from@example.com", ["jane@example.com"]),
)
send_mass_mail(datatuple)
""",
        prelude="from django.core.mail import send_mail, send_mass_mail",
    ),
    "EmailMessage": Example(
        "docs/topics/email.txt:554-564",
        """
from django.core.mail import EmailMessage

email = EmailMessage(
    subject="Hello",
    body="Body goes here",
    from_email="from@example.com",
    to=["to1@example.com", "to2@example.com"],
    bcc=["bcc@example.com"],
    reply_to=["another@example.com"],
    headers={"Message-ID": "foo"},
)
""",
        postlude="email.send()",
    ),
    "text and HTML": Example(
        "docs/topics/email.txt:757-766",
        """
from django.core.mail import EmailMultiAlternatives

subject = "hello"
from_email = "from@example.com"
to = "to@example.com"
text_content = "This is an important message."
html_content = "<p>This is an <strong>important</strong> message.</p>"
msg = EmailMultiAlternatives(subject, text_content, from_email, [to])
msg.attach_alternative(html_content, "text/html")
msg.send()
""",
    ),
    "content_subtype html": Example(
        "docs/topics/email.txt:807-809",
        """
msg = EmailMessage(subject, html_content, from_email, [to])
msg.content_subtype = "html"  # Main content is now text/html
msg.send()
""",
        prelude=(
            "from django.core.mail import EmailMessage\n"
            'subject, from_email, to = "hello", "from@example.com", "to@example.com"\n'
            'html_content = "<p>This is an <strong>important</strong> message.</p>"'
        ),
    ),
    "Address": Example(
        "docs/topics/email.txt:875-886",
        """
from django.core.mail import send_mail
from email.headerregistry import Address


def send_mail_to_user(user, subject, body, from_email=None):
    # Safely create an email address with the user's name.
    # (addr_spec is the technical term for the user@domain address.)
    address = Address(
        display_name=user.get_full_name(),
        addr_spec=user.email,
    )
    send_mail(subject, body, from_email, [address])
""",
        prelude=(
            "class User:\n"
            '    email = "ringo@example.com"\n'
            "    def get_full_name(self):\n"
            '        return "Ринго Старр"'
        ),
        postlude='send_mail_to_user(User(), "Hi", "Body")',
        settings={"DEFAULT_FROM_EMAIL": '"Example, Inc." <contact@example.com>'},
    ),
    "mailers.default": Example(
        "docs/topics/email.txt:946-952",
        """
from django.core import mail

email_list = get_notification_emails()
# Use the default mailer. You could substitute
# mail.mailers["alias"] for a specific mailer.
backend = mail.mailers.default
backend.send_messages(email_list)
""",
        prelude=(
            "from django.core import mail\n"
            "def get_notification_emails():\n"
            '    return [mail.EmailMessage("Note", "n", None, [f"u{n}@example.com"])\n'
            "            for n in range(3)]"
        ),
    ),
    "open and close": Example(
        "docs/topics/email.txt:963-984",
        """
from django.core import mail

# Use the "notifications" mailer configuration.
backend = mail.mailers["notifications"]

# Manually open the connection.
backend.open()

# Construct an email message. (Passing None as the third argument
# uses settings.DEFAULT_FROM_EMAIL as the "From:" address.)
email1 = mail.EmailMessage("Hi", "Message", None, ["to1@example.com"])
# Send the email. The connection was already open, so send_messages()
# leaves it open after sending.
backend.send_messages([email1])

# Construct and send two more messages. The connection is still open.
email2 = mail.EmailMessage("Hi", "Message", None, ["to2@example.com"])
email3 = mail.EmailMessage("Hi", "Message", None, ["to3@example.com"])
backend.send_messages([email2, email3])

# Because we opened it, we need to manually close the connection.
backend.close()
""",
        mailers={"default": LOCMEM, "notifications": SMTP},
    ),
    "context manager": Example(
        "docs/topics/email.txt:997-1011",
        """
from django.core import mail

# Use mail.mailers[...] as a context manager.
with mail.mailers["notifications"] as backend:
    # The backend connection is automatically opened inside the context.
    email1 = mail.EmailMessage("Hi", "Message", None, ["to1@example.com"])
    backend.send_messages([email1])

    # The connection is still open, and is reused for the second send.
    email2 = mail.EmailMessage("Hi", "Message", None, ["to2@example.com"])
    email3 = mail.EmailMessage("Hi", "Message", None, ["to3@example.com"])
    backend.send_messages([email2, email3])

# After exiting the context (either normally or because of an error),
# the backend connection is automatically closed.
""",
        mailers={"default": LOCMEM, "notifications": SMTP},
    ),
    "mailers[alias] in a shell": Example(
        "docs/topics/email.txt:1312-1313",
        """
from django.core.mail import mailers
mailers["notifications"]
""",
        mailers={"default": LOCMEM, "notifications": SMTP},
    ),
    "mailers.default in a shell": Example(
        "docs/topics/email.txt:1327-1328",
        """
from django.core.mail import mailers
mailers.default
""",
    ),
    "smtp on localhost": Example(
        "docs/topics/email.txt:78-85",
        "from django.core import mail",
        mailers={
            "default": {
                "BACKEND": "pochta.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "localhost"},
            },
        },
        postlude="b = mail.mailers.default\n(b.host, b.port, b.use_tls, b.username, b.timeout)",
    ),
    "migrated smtp settings": Example(
        "docs/howto/mailers-migration.txt:106-117",
        "from django.core import mail",
        mailers={
            "default": {
                "BACKEND": "pochta.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": "mail.example.net",
                    "use_tls": True,
                    # port is not needed: it defaults to 587 with use_tls True.
                    "username": "user@example.net",
                    "password": "password",
                },
            },
        },
        postlude="b = mail.mailers.default\n(b.host, b.port, b.use_tls, b.username, b.password)",
    ),
    "get_connection to mailers.default": Example(
        "docs/howto/mailers-migration.txt:218-219",
        """
connection = mail.mailers.default
connection.send_messages([email1, email2])
""",
        prelude=(
            "from django.core import mail\n"
            'email1 = mail.EmailMessage("One", "1", None, ["a@example.com"])\n'
            'email2 = mail.EmailMessage("Two", "2", None, ["b@example.com"])'
        ),
    ),
    "a third-party backend that is not installed": Example(
        "docs/releases/6.1.txt:100-109",
        "from django.core import mail",
        mailers={
            "default": {
                "BACKEND": "pochta.mail.backends.locmem.EmailBackend",
            },
            "marketing": {
                "BACKEND": "example.third.party.EmailBackend",
                "OPTIONS": {"region": "africa-1"},
            },
        },
        postlude='mail.mailers["marketing"]',
    ),
}

# What Django 6.1 refuses, and how; the same code runs on both sides.
ERRORS: dict[str, Example] = {
    "unknown alias": Example("handler.py", 'mail.mailers["nope"]'),
    "unknown alias with get": Example("handler.py", 'mail.mailers.get("nope", "fallback")'),
    "alias in OPTIONS": Example(
        "handler.py",
        'mail.mailers["x"]',
        mailers={"x": {"BACKEND": LOCMEM["BACKEND"], "OPTIONS": {"alias": "y"}}},
    ),
    "unknown options": Example(
        "backends/base.py",
        'mail.mailers["x"]',
        mailers={"x": {"BACKEND": LOCMEM["BACKEND"], "OPTIONS": {"foo": 1, "bar": 2}}},
    ),
    "fail_silently for locmem": Example(
        "backends/base.py",
        'mail.mailers["x"]',
        mailers={"x": {"BACKEND": LOCMEM["BACKEND"], "OPTIONS": {"fail_silently": True}}},
    ),
    "smtp without host": Example("backends/smtp.py", 'mail.mailers["x"]', mailers={"x": {}}),
    "smtp with ssl and tls": Example(
        "backends/smtp.py",
        'mail.mailers["x"]',
        mailers={"x": {"OPTIONS": {"host": "h", "use_ssl": True, "use_tls": True}}},
    ),
    "file without file_path": Example(
        "backends/filebased.py",
        'mail.mailers["x"]',
        mailers={"x": {"BACKEND": "pochta.mail.backends.filebased.EmailBackend"}},
    ),
    "using with fail_silently": Example(
        "deprecation.py",
        'mail.send_mail("s", "b", None, ["to@example.com"], fail_silently=True, using="default")',
    ),
    "get_connection(path) with MAILERS": Example(
        "__init__.py", 'mail.get_connection("pochta.mail.backends.locmem.EmailBackend")'
    ),
    "Bcc header": Example(
        "message.py",
        'mail.EmailMessage("s", "b", None, ["to@example.com"], headers={"Bcc": "x@y.z"}).send()',
    ),
    "header injection": Example(
        "email/policy.py", 'mail.send_mail("Subject\\nInjected", "b", None, ["to@example.com"])'
    ),
    "two addresses in one for smtp": Example(
        "backends/smtp.py",
        'mail.send_mail("s", "b", None, ["a@example.com, b@example.com"], using="smtp")',
        mailers={"default": LOCMEM, "smtp": SMTP},
    ),
    "to as a string": Example("message.py", 'mail.EmailMessage("s", "b", None, "a@example.com")'),
    "ADMINS as a string": Example(
        "__init__.py", 'mail.mail_admins("s", "b")', settings={"ADMINS": "admin@example.com"}
    ),
    "mixed_subtype": Example(
        "message.py",
        'm = mail.EmailMessage("s", "b", None, ["to@example.com"])\n'
        'm.attach("a.txt", "x", "text/plain")\n'
        'm.mixed_subtype = "related"\n'
        "m.message()",
    ),
}
