"""``pochta serve``: catch mail until Ctrl-C; its options come from :mod:`pochta.config`."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pochta.cli.option import LOCATION, serve_options, settings_from_options
from pochta.exceptions import ConfigurationError, PochtaError

if TYPE_CHECKING:
    from pochta.server.app import Catcher

__all__ = ["SWITCH_INTERVAL", "serve"]

#: Seconds a thread holds the GIL while another waits for it (Python's default is
#: 0.005). The SMTP sessions, the store's writer and its indexer hand the GIL to
#: one another for every message; each hand-off waited up to 5 ms for a thread
#: busy in Python to let go. At 0.5 ms, 2.5 KB messages over four connections
#: went from about 2,000 to 2,300 a second (docs/store.md, "Measured").
SWITCH_INTERVAL = 0.0005


@click.command()
@click.argument("database_file", metavar="[DATABASE]", required=False, type=LOCATION)
@serve_options
def serve(database_file: Path | str | None, **values: Any) -> None:
    """Catch mail: an SMTP server and the JSON API / inbox, until Ctrl-C.

    Every message sent to the SMTP address is kept in DATABASE (default
    .pochta/mail.db in this folder; add .pochta/ to .gitignore), or in the
    PostgreSQL database of a postgresql:// URL, which several pochta serve
    can share (docs/team.md). Each option
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
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        asyncio.run(serve_forever(settings, on_ready=_announce))
    except (PochtaError, OSError) as error:
        click.echo(f"pochta serve: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # Ctrl-C while starting, before the handlers are in place
        sys.exit(130)
    _exit_at_once()


def _exit_at_once() -> None:
    """End the process without the interpreter's teardown: serve() closed everything.

    The store, the sockets and a ``--temp`` folder are closed and removed by
    then; freeing every module and object of FastAPI, pydantic and the rest
    would take longer than the shutdown itself (about 0.3 s of CPU).
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _announce(catcher: Catcher) -> None:
    click.echo(f"SMTP  smtp://{catcher.smtp_address}")
    if catcher.pop3_address is not None:
        click.echo(f"POP3  {catcher.pop3_scheme}://{catcher.pop3_address}")
    click.echo(f"Inbox {catcher.scheme}://{catcher.http_address}{catcher.webroot}")
    if catcher.metrics_server is not None:
        click.echo(f"Metrics http://{catcher.metrics_server.address}/metrics")
    click.echo(f"Store {catcher.store.location}")
    sys.stdout.flush()
