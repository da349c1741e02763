"""The ``pochta`` command: ``serve``, ``send``, ``import``, ``ls``, ``show`` and ``demo``."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pochta import __version__
from pochta.cli.read import ls, show
from pochta.config import DEFAULT_DATABASE, parse_size, serve_options, settings_from_options
from pochta.exceptions import ConfigurationError, PochtaError

if TYPE_CHECKING:
    from pochta.ingest import Planned
    from pochta.server.app import Catcher

__all__ = ["main"]

PROGRESS_FROM = 8 * 1024 * 1024  # bytes: smaller imports (under 50 inputs) show no bar


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pochta")
def main() -> None:
    """Send email the way Django does, and catch, read and test every message offline."""


@main.command()
@click.argument(
    "database_file",
    metavar="[DATABASE]",
    required=False,
    type=click.Path(dir_okay=False, path_type=Path),
)
@serve_options
def serve(database_file: Path | None, **values: Any) -> None:
    """Catch mail: an SMTP server and the JSON API / inbox, until Ctrl-C.

    Every message sent to the SMTP address is kept in DATABASE (default
    .pochta/mail.db in this folder; add .pochta/ to .gitignore). Each option
    can also be set by the environment variable shown; an option on the
    command line wins over the variable, and DATABASE over --database.

    \b
    Example:
        pochta serve --smtp 127.0.0.1:2525 --max 500 --max-age 3d
    """
    try:
        settings = settings_from_options(values)
        if database_file is not None:
            settings = dataclasses.replace(settings, database=database_file)
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None
    if settings.temp and database_file is not None:
        raise click.UsageError("--temp and DATABASE contradict each other; give one")
    from pochta.server.app import exposure_warnings
    from pochta.server.app import serve as serve_forever

    logging.basicConfig(
        level=logging.INFO if settings.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for warning in exposure_warnings(settings):
        click.echo(f"warning: {warning}", err=True)
    try:
        asyncio.run(serve_forever(settings, on_ready=_announce))
    except (PochtaError, OSError) as error:
        click.echo(f"pochta serve: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # Ctrl-C while starting, before the handlers are in place
        sys.exit(130)


def _announce(catcher: Catcher) -> None:
    click.echo(f"SMTP  smtp://{catcher.smtp_address}")
    click.echo(f"Inbox http://{catcher.http_address}")
    click.echo(f"Store {catcher.store.path}")
    sys.stdout.flush()


@main.command()
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


@main.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=Path)
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    default=str(DEFAULT_DATABASE),
    show_default=True,
    envvar="POCHTA_DATABASE",
    show_envvar=True,
    help="The store to import into (a running pochta serve shows the messages live).",
)
@click.option(
    "--max-message-size",
    default="50M",
    show_default=True,
    metavar="SIZE",
    help="Skip messages larger than this (bytes, or with K, M or G).",
)
def import_(paths: tuple[Path, ...], database: Path, max_message_size: str) -> None:
    """Import mail from files: .eml files, mbox, Maildir, and file-backend logs.

    Each PATH is a file or a folder (walked recursively; names starting with
    a dot are left out). A folder with cur/ and new/ is read as a Maildir; a
    file starting with "From " as an mbox; a file holding lines of 79 dashes
    (or named *.log) as the log of Django's or pochta's file email backend,
    one message per separator; any other file starting with mail headers as
    one message. Messages are stored as the files hold them. Prints what was
    imported and each thing skipped, with the reason. Exits with 1 when a
    PATH does not exist or nothing could be imported.

    \b
    Example:
        pochta import sent_emails/ archive.mbox ~/Maildir
    """
    from pochta.ingest import import_paths, report_lines
    from pochta.store import open_store

    try:
        size = parse_size(max_message_size, name="--max-message-size")
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None
    with contextlib.ExitStack() as stack:
        try:
            store = stack.enter_context(open_store(database))
            report = import_paths(store, paths, max_size=size, on_plan=_progress_bar(stack))
        except PochtaError as error:
            click.echo(f"pochta import: {error}", err=True)
            sys.exit(1)
    for line in report_lines(report, database):
        click.echo(line)
    sys.exit(1 if report.missing or not report.total else 0)


def _progress_bar(stack: contextlib.ExitStack) -> Callable[[list[Planned]], Any]:
    """Show a progress bar on stderr for a large import, when stderr is a terminal."""

    def on_plan(planned: list[Planned]) -> Callable[[int], None] | None:
        total = sum(item.size for item in planned)
        if not sys.stderr.isatty() or (total < PROGRESS_FROM and len(planned) < 50):
            return None
        bar = stack.enter_context(
            click.progressbar(length=total, label="importing", file=sys.stderr)
        )
        return bar.update

    return on_plan


@main.command()
@click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    help="The Task site's folder (default: examples/tasksite of this checkout).",
)
@click.option(
    "--smtp",
    default="127.0.0.1:1025",
    show_default=True,
    metavar="HOST:PORT",
    help="The catcher's SMTP address (0 picks a free port).",
)
@click.option(
    "--listen",
    default="127.0.0.1:8025",
    show_default=True,
    metavar="HOST:PORT",
    help="The catcher's inbox and API address.",
)
@click.option(
    "--web",
    default="127.0.0.1:8000",
    show_default=True,
    metavar="HOST:PORT",
    help="The Task site's address (manage.py runserver).",
)
@click.option(
    "--temp", is_flag=True, help="Keep the mail and the site's database in a temp folder."
)
def demo(site: Path | None, smtp: str, listen: str, web: str, temp: bool) -> None:
    """Run the catcher and the seeds' Task site together, with a demo user, until Ctrl-C.

    Starts pochta serve, migrates the site, creates (or resets) the user demo
    (demo@task.local, password demo-password-1), runs manage.py runserver with
    its mail sent to the catcher, and prints both addresses. Needs Django.

    \b
    Example:
        pochta demo --temp
    """
    try:
        import django  # noqa: F401
    except ImportError:
        click.echo("pochta demo needs Django: pip install 'pochta[django]'", err=True)
        sys.exit(1)
    from pochta.config import parse_host_port
    from pochta.django.demo import DemoOptions, find_site, run_demo

    try:
        options = DemoOptions(
            site=find_site(site),
            smtp=parse_host_port(smtp, name="--smtp"),
            listen=parse_host_port(listen, name="--listen"),
            web=parse_host_port(web, name="--web"),
            temp=temp,
        )
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None
    try:
        code = run_demo(options, echo=_echo_flushed)
    except PochtaError as error:
        click.echo(f"pochta demo: {error}", err=True)
        sys.exit(1)
    sys.exit(code)


def _echo_flushed(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()


main.add_command(ls)
main.add_command(show)
