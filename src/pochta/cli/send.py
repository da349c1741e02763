"""``pochta send``: send one message with :mod:`pochta.mail` from the shell."""

from __future__ import annotations

import smtplib
import sys
import warnings
from pathlib import Path
from typing import Any

import click

__all__ = ["send"]


@click.command()
@click.option(
    "--to", "to", multiple=True, required=True, metavar="ADDRESS", help="Recipient; repeatable."
)
@click.option("--subject", required=True, help="The subject line.")
@click.option(
    "--from", "from_email", metavar="ADDRESS", help="Sender (default: DEFAULT_FROM_EMAIL)."
)
@click.option("--cc", multiple=True, metavar="ADDRESS", help="Copy recipient; repeatable.")
@click.option("--bcc", multiple=True, metavar="ADDRESS", help="Hidden recipient; repeatable.")
@click.option("--body", metavar="TEXT", help="The text body.")
@click.option("--body-file", metavar="FILE", type=Path, help="Read the text body from FILE.")
@click.option(
    "--html", "html_file", metavar="FILE", type=Path, help="Add FILE as the HTML version."
)
@click.option(
    "--attach",
    "attach_files",
    multiple=True,
    metavar="FILE",
    type=Path,
    help="Attach FILE; repeatable.",
)
@click.option(
    "--using", metavar="ALIAS", help="The MAILERS entry to send with (default: default)."
)
@click.option(
    "--backend",
    metavar="DOTTED.PATH",
    help="Email backend when MAILERS is not set (default: EMAIL_BACKEND).",
)
def send(
    to: tuple[str, ...],
    subject: str,
    from_email: str | None,
    cc: tuple[str, ...],
    bcc: tuple[str, ...],
    body: str | None,
    body_file: Path | None,
    html_file: Path | None,
    attach_files: tuple[Path, ...],
    using: str | None,
    backend: str | None,
) -> None:
    """Send one message with pochta.mail, as Django's send_mail would.

    The text body comes from --body, --body-file or standard input; files are
    read as UTF-8. Settings come from environment variables with Django's
    names: MAILERS (JSON), or EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT,
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL; and
    DEFAULT_FROM_EMAIL, ...

    \b
    Example:
        EMAIL_PORT=1025 pochta send --to ann@example.com --subject Hi --body Hello
    """
    from pochta.mail import EmailMultiAlternatives
    from pochta.mail.deprecation import RemovedInDjango2028Warning

    if body is not None and body_file is not None:
        raise click.UsageError("give --body or --body-file, not both")
    if using is not None and backend is not None:
        raise click.UsageError("give --using or --backend, not both")
    where: tuple[str, int] | None = None
    # The EMAIL_* variables are this command's interface; Django 6.1's deprecation of
    # those settings is news for Python code, not for a shell.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RemovedInDjango2028Warning)
        try:
            if body is None:
                body = body_file.read_text("utf-8") if body_file is not None else sys.stdin.read()
            message = EmailMultiAlternatives(subject, body, from_email, to, cc=cc, bcc=bcc)
            if html_file is not None:
                message.attach_alternative(html_file.read_text("utf-8"), "text/html")
            for path in attach_files:
                message.attach_file(path)
            message.message()  # a bad header is reported before any connection is made
            sender = "--from" if from_email is not None else "DEFAULT_FROM_EMAIL"
            _check_addresses({sender: (message.from_email,), "--to": to, "--cc": cc, "--bcc": bcc})
            connection = _backend(using, backend)
            if hasattr(connection, "host"):
                where = (str(connection.host), int(getattr(connection, "port", 0)))
            sent = connection.send_messages([message])
        except (OSError, ValueError, ImportError) as error:
            # PochtaError is a ValueError or ImportError; smtplib's errors are OSErrors.
            click.echo(f"pochta send: {_describe_failure(error, where)}", err=True)
            sys.exit(1)
    click.echo(
        f"pochta send: sent {sent} message to {len(message.recipients())} recipient(s)", err=True
    )


def _backend(using: str | None, backend: str | None) -> Any:
    """Return the backend to send with: a MAILERS entry, or ``--backend``/``EMAIL_BACKEND``."""
    from pochta.mail import get_connection, mailers

    if backend is None:
        return mailers.default if using is None else mailers[using]
    if mailers.is_configured:
        raise click.UsageError("--backend is not for MAILERS; name an entry with --using")
    return get_connection(backend)


class _BadAddress(ValueError):
    """An address of the command line (or DEFAULT_FROM_EMAIL) that is not one address."""


def _check_addresses(given: dict[str, tuple[str, ...]]) -> None:
    """Raise _BadAddress for the first address that is not one, naming where it came from."""
    from pochta.mail.submission import prep_address

    for source, addresses in given.items():
        for address in addresses:
            try:
                prep_address(address)
            except ValueError as error:
                reason = str(error).partition(": ")[2] or str(error)
                raise _BadAddress(
                    f"{source} {address!r} is not an email address ({reason}); "
                    f"give one address such as ann@example.com"
                ) from None


def _describe_failure(error: BaseException, where: tuple[str, int] | None) -> str:
    """Say in one line why sending failed and, for a refused connection, how to reach pochta."""
    if isinstance(error, _BadAddress):
        return str(error)
    if isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
        reason = f"the server answered {error.smtp_code} {text}"
    else:
        # A KeyError (MailerDoesNotExist) would be quoted by str().
        text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        reason = " ".join(str(text).split()) or type(error).__name__
    if where is None:
        return f"could not send: {reason}"
    host, port = where
    line = f"could not send through {host}:{port}: {reason}"
    if isinstance(error, ConnectionRefusedError):
        if port == 1025:
            line += "; is `pochta serve` running? Start it in another terminal"
        else:
            line += (
                "; nothing listens there. To send to `pochta serve` (port 1025), "
                "set EMAIL_PORT=1025: EMAIL_PORT=1025 pochta send ..."
            )
    return line
