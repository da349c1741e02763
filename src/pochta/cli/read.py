"""``pochta ls`` and ``pochta show``: read the store from a terminal, server or not.

Both open the store file directly (SQLite lets them read while ``pochta serve``
writes) and never mark a message read: the terminal is for looking, the inbox
and the API keep Mailpit's read semantics.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from pochta.cli.option import LOCATION
from pochta.config import DEFAULT_DATABASE
from pochta.exceptions import PochtaError
from pochta.store import Address, Store, Summary, open_store

__all__ = ["database_option", "existing_store", "ls", "show"]

VIEWS = ("summary", "text", "html", "headers", "raw", "links", "json")

database_option = click.option(
    "--database",
    type=LOCATION,
    default=str(DEFAULT_DATABASE),
    show_default=True,
    envvar="POCHTA_DATABASE",
    help="The store to read: a file, or a postgresql:// URL (env POCHTA_DATABASE).",
)
"""The ``--database`` option of every command that reads a store (a file or a URL)."""


@contextmanager
def existing_store(database: Path | str, *, read_only: bool = True) -> Iterator[Store]:
    """Open the store at ``database`` for a command, or fail with what to do (no new file).

    Commands that only read open it ``read_only`` (it may lie where nothing can be written).
    """
    if isinstance(database, Path) and not database.is_file():
        raise click.ClickException(
            f"no store at '{database}'; start `pochta serve` there first, or give --database"
        )
    try:
        with open_store(database, read_only=read_only) as store:
            yield store
    except PochtaError as error:
        raise click.ClickException(str(error)) from None


def _addresses(addresses: tuple[Address, ...] | Address | None) -> str:
    if addresses is None:
        return ""
    if isinstance(addresses, Address):
        addresses = (addresses,)
    return ", ".join(a.address if not a.name else f"{a.name} <{a.address}>" for a in addresses)


def _line(summary: Summary) -> str:
    mark = " " if summary.read else "*"
    when = summary.created.astimezone().strftime("%Y-%m-%d %H:%M")
    sender = summary.from_.address if summary.from_ else ""
    to = ", ".join(a.address for a in summary.to + summary.cc + summary.bcc)
    return f"{mark} {summary.id}  {when}  {sender} -> {to}  {summary.subject}"


@click.command()
@click.argument("query", nargs=-1)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="How many messages to print at most.",
)
@database_option
def ls(query: tuple[str, ...], limit: int, database: Path | str) -> None:
    """List stored messages, newest first; unread ones are marked with *.

    QUERY is optional search text in the inbox's language, for example
    `pochta ls from:alice has:attachment` or `pochta ls "password reset"`.
    """
    with existing_store(database) as store:
        text = " ".join(query)
        try:
            if text:
                page = store.search(text, limit=limit)
                messages, shown, total = page.messages, page.matched, page.total
            else:
                listing = store.list_messages(limit=limit)
                messages, shown, total = listing.messages, listing.total, listing.total
        except PochtaError as error:
            raise click.ClickException(str(error)) from None
        for summary in messages:
            click.echo(_line(summary))
        click.echo(f"{len(messages)} shown of {shown} matching, {total} stored", err=True)


@click.command()
@click.argument("message_id", metavar="ID")
@click.option(
    "--view",
    type=click.Choice(VIEWS),
    default="summary",
    show_default=True,
    help="What to print: headers summary and text, one body, all headers, the raw "
    "source, the links, or the parsed message as JSON.",
)
@database_option
def show(message_id: str, view: str, database: Path | str) -> None:
    """Print one stored message; ID may be `latest`."""
    with existing_store(database) as store:
        try:
            found = store.resolve_id(message_id)
            if view == "raw":
                sys.stdout.buffer.write(store.raw(found))
                return
            parsed = store.parsed(found)
        except PochtaError as error:
            raise click.ClickException(str(error)) from None
    if view == "summary":
        for name, value in (
            ("From", _addresses(parsed.from_)),
            ("To", _addresses(parsed.to)),
            ("Cc", _addresses(parsed.cc)),
            ("Subject", parsed.subject),
            ("Date", parsed.date.isoformat() if parsed.date else ""),
        ):
            if value:
                click.echo(f"{name}: {value}")
        click.echo(f"\n{parsed.text or parsed.snippet}")
    elif view in ("text", "html"):
        click.echo(parsed.text if view == "text" else parsed.html)
    elif view == "headers":
        for name, value in parsed.headers:
            click.echo(f"{name}: {value}")
    elif view == "links":
        for link in parsed.links:
            click.echo(link)
    else:
        record = {"id": found, **dataclasses.asdict(parsed)}
        click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))
