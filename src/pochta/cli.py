"""The ``pochta`` command: ``serve``, ``send``, ``import``, ``ls``, ``show``, ``demo``."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pochta import __version__
from pochta.config import serve_options, settings_from_options
from pochta.exceptions import ConfigurationError, PochtaError

if TYPE_CHECKING:
    from pochta.server.app import Catcher

__all__ = ["main"]


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
    except PochtaError as error:
        click.echo(f"pochta serve: {error}", err=True)
        sys.exit(1)


def _announce(catcher: Catcher) -> None:
    click.echo(f"SMTP  smtp://{catcher.smtp_address}")
    click.echo(f"Inbox http://{catcher.http_address}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
