"""``pochta reindex [DATABASE]``: rebuild the summaries and the search index from the raw bytes."""

from __future__ import annotations

from pathlib import Path

import click

from pochta.cli.option import LOCATION
from pochta.cli.read import database_option, existing_store
from pochta.exceptions import PochtaError

__all__ = ["reindex"]


@click.command()
@click.argument("database_file", metavar="[DATABASE]", required=False, type=LOCATION)
@database_option
def reindex(database_file: Path | str | None, database: Path | str) -> None:
    """Rebuild every message's summary and the search index from its stored bytes.

    For a store whose search misses messages it should find, or whose
    summaries an older pochta made. Ids, arrival times, read flags, tags,
    envelopes and the bytes themselves stay as they are. pochta serve may go
    on running; its inbox shows the new summaries after a reload. DATABASE
    wins over --database.
    """
    chosen = database_file or database

    def report(done: int, total: int) -> None:
        share = 100 * done // total if total else 100
        click.echo(f"reindexed {done} / {total} ({share}%)", err=True)

    with existing_store(chosen, read_only=False) as store:
        try:
            count = store.reindex(progress=report)
        except PochtaError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"reindexed {count} messages in {chosen}", err=True)
