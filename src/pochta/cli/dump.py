"""``pochta dump DIR [QUERY]``: write stored messages as ``.eml`` files, named safely.

Each message becomes one file holding its bytes exactly as received, dated
(modification time) when it was stored. Names come from the message's id,
never from anything a sender wrote: ``ID.eml`` (as Mailpit's ``dump``), or
with ``--name subject`` a readable ``20260102-150405-password-reset-ID.eml``
whose subject part is cut down to ASCII letters, digits and dashes. An id
that is not of the id form (a hostile ``--http`` server's) is skipped. A
file already there is left alone, so dumping again only adds; nothing in
DIR is ever overwritten or followed through a symlink.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pochta.cli.read import database_option, existing_store
from pochta.exceptions import PochtaError
from pochta.store.identity import is_message_id

if TYPE_CHECKING:
    from pochta.store import Store

__all__ = ["Found", "dump", "file_name", "safe_id", "slug", "write_eml"]

_PAGE = 1000
_SLUG_LENGTH = 60


@dataclass(frozen=True, slots=True)
class Found:
    """One message to dump: its id, its subject and when it was stored."""

    id: str
    subject: str
    created: datetime


def slug(text: str, *, limit: int = _SLUG_LENGTH) -> str:
    """Return ``text`` as lower-case ASCII words joined by dashes, at most ``limit`` long."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].rstrip("-")


def safe_id(id: str) -> bool:
    """Tell whether ``id`` may become a file name: of the id form, and not an option (``-rf``)."""
    return is_message_id(id) and not id.startswith("-")


def file_name(found: Found, *, style: str) -> str | None:
    """Return the file name of ``found`` in ``style`` ("id" or "subject"); None for a bad id."""
    if not safe_id(found.id):
        return None
    if style == "id":
        return f"{found.id}.eml"
    words = slug(found.subject)
    stamp = found.created.strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{words}-{found.id}.eml" if words else f"{stamp}-{found.id}.eml"


def write_eml(folder: Path, name: str, chunks: Iterable[bytes], created: datetime) -> bool:
    """Write ``chunks`` to the new file ``folder/name``; False if it exists already.

    The file is created exclusively (``O_EXCL``: an existing file or symlink
    is never written through) and removed again if writing fails.
    """
    path = folder / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        with os.fdopen(fd, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    stamp = created.timestamp()
    os.utime(path, (stamp, stamp))
    return True


@dataclass
class _Tally:
    written: int = 0
    existing: int = 0
    refused: int = 0
    gone: int = 0


def _store_messages(
    database: Path | str, query: str
) -> Iterator[tuple[Found, Iterable[bytes] | None]]:
    from pochta.exceptions import MessageNotFound

    with existing_store(database) as store:
        try:
            ids = store.search_ids(query) if query else _all_ids(store)
        except PochtaError as error:
            raise click.ClickException(str(error)) from None
        for id in ids:
            try:
                summary = store.summary(id)
                raw = store.raw(id)
            except MessageNotFound:  # deleted since the list was read
                yield Found(id, "", datetime.now().astimezone()), None
                continue
            yield Found(id, summary.subject, summary.created), [raw]


def _all_ids(store: Store) -> list[str]:
    ids: list[str] = []
    while True:
        page = store.list_messages(start=len(ids), limit=_PAGE)
        ids += [summary.id for summary in page.messages]
        if not page.messages or len(ids) >= page.total:
            return ids


@click.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.argument("query", nargs=-1)
@click.option(
    "--name",
    "style",
    type=click.Choice(["id", "subject"]),
    default="id",
    show_default=True,
    help="File names: ID.eml (as Mailpit), or the date, the subject's words and the id.",
)
@click.option(
    "--http",
    "url",
    metavar="URL",
    help="Read from a running pochta serve (or Mailpit) at URL instead of a store file.",
)
@database_option
def dump(
    folder: Path, query: tuple[str, ...], style: str, url: str | None, database: Path | str
) -> None:
    """Write every stored message, or those QUERY finds, into DIR as .eml files.

    DIR is made if missing. Files already there are left as they are, so a
    second dump adds only what is new. QUERY is search text in the inbox's
    language (`pochta dump out/ from:billing is:unread`).

    \b
    Examples:
        pochta dump saved/
        pochta dump --name subject saved/ subject:"password reset"
        pochta dump --http http://127.0.0.1:8025 saved/
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.ClickException(
            f"cannot make the folder '{folder}' ({error.strerror}); give a folder you can write"
        ) from None
    text = " ".join(query)
    if url is not None:
        from pochta.cli.remote import api_messages

        messages = api_messages(url, text)
    else:
        messages = _store_messages(database, text)
    tally = _Tally()
    for found, chunks in messages:
        _dump_one(folder, found, chunks, style, tally)
    click.echo(
        f"{tally.written} written to {folder}, {tally.existing} already there"
        + (f", {tally.refused} with an id that is not one skipped" if tally.refused else "")
        + (f", {tally.gone} deleted meanwhile" if tally.gone else ""),
        err=True,
    )


def _dump_one(
    folder: Path, found: Found, chunks: Iterable[bytes] | None, style: str, tally: _Tally
) -> None:
    name = file_name(found, style=style)
    if name is None:
        click.echo(f"skipped a message whose id {found.id[:80]!r} is not an id", err=True)
        tally.refused += 1
        return
    if chunks is None:
        tally.gone += 1
        return
    try:
        written = write_eml(folder, name, chunks, found.created)
    except OSError as error:
        raise click.ClickException(f"cannot write '{folder / name}' ({error.strerror})") from None
    if written:
        tally.written += 1
    else:
        tally.existing += 1
