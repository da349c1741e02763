"""``pochta send``: send one message with :mod:`pochta.mail` from the shell."""

from __future__ import annotations

import sys
from pathlib import Path

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
@click.option("--backend", metavar="DOTTED.PATH", help="Email backend (default: EMAIL_BACKEND).")
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
    backend: str | None,
) -> None:
    """Send one message with pochta.mail, as Django's send_mail would.

    The text body comes from --body, --body-file or standard input; files are
    read as UTF-8. Settings come from environment variables with Django's
    names: EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
    EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL, DEFAULT_FROM_EMAIL, ...

    \b
    Example:
        EMAIL_PORT=1025 pochta send --to ann@example.com --subject Hi --body Hello
    """
    from pochta.mail import EmailMultiAlternatives, get_connection

    if body is not None and body_file is not None:
        raise click.UsageError("give --body or --body-file, not both")
    where = ""
    try:
        if body is None:
            body = body_file.read_text("utf-8") if body_file is not None else sys.stdin.read()
        message = EmailMultiAlternatives(subject, body, from_email, to, cc=cc, bcc=bcc)
        if html_file is not None:
            message.attach_alternative(html_file.read_text("utf-8"), "text/html")
        for path in attach_files:
            message.attach_file(path)
        message.message()  # a bad header is reported before any connection is made
        connection = get_connection(backend)
        if hasattr(connection, "host"):
            where = f" through {connection.host}:{getattr(connection, 'port', '')}"
        sent = connection.send_messages([message])
    except (OSError, ValueError, ImportError) as error:
        # PochtaError is a ValueError or ImportError; smtplib's errors are OSErrors.
        reason = " ".join(str(error).split()) or type(error).__name__
        click.echo(f"pochta send: could not send{where}: {reason}", err=True)
        sys.exit(1)
    click.echo(
        f"pochta send: sent {sent} message to {len(message.recipients())} recipient(s)", err=True
    )
