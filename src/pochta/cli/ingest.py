"""``pochta import``: read mail from files, mbox, Maildir and file-backend logs into a store."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pochta.cli.option import LOCATION
from pochta.config import DEFAULT_DATABASE, parse_size
from pochta.exceptions import ConfigurationError, PochtaError

if TYPE_CHECKING:
    from pochta.ingest import Planned

__all__ = ["import_"]

PROGRESS_FROM = 8 * 1024 * 1024  # bytes: smaller imports (under 50 inputs) show no bar


@click.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=Path)
@click.option(
    "--database",
    type=LOCATION,
    metavar="PATH|URL",
    default=str(DEFAULT_DATABASE),
    show_default=True,
    envvar="POCHTA_DATABASE",
    show_envvar=True,
    help="The store to import into: a file or a postgresql:// URL (a running pochta serve "
    "shows the messages live).",
)
@click.option(
    "--max-message-size",
    default="50M",
    show_default=True,
    metavar="SIZE",
    help="Skip messages larger than this (bytes, or with K, M or G).",
)
def import_(paths: tuple[Path, ...], database: Path | str, max_message_size: str) -> None:
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
    for line in report_lines(report, store.location):
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
