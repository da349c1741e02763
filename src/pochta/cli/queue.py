"""``pochta queue``: counts, the pending and failed messages, retry and purge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pochta.cli.worker import queue_option

if TYPE_CHECKING:
    from pochta.mail.queue import MailQueue, QueuedMessage

__all__ = ["queue"]

_STATES = ("pending", "sending", "sent", "failed")
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@contextmanager
def _opened(path: Path | None) -> Iterator[MailQueue]:
    from pochta.exceptions import PochtaError
    from pochta.mail.queue import open_queue, queue_path_setting

    try:
        chosen = path if path is not None else queue_path_setting()
        if not chosen.is_file():
            raise click.ClickException(
                f"no queue at {chosen}; give --queue PATH or set EMAIL_QUEUE_PATH"
            )
        opened = open_queue(chosen)
    except PochtaError as error:
        raise click.ClickException(str(error)) from None
    with opened:
        yield opened


@click.group(invoke_without_command=True)
@queue_option
@_json_option
@click.pass_context
def queue(ctx: click.Context, queue_path: Path | None, as_json: bool) -> None:
    """Show how many queued messages are in each state (and the commands below).

    \b
    Example:
        pochta queue                     # pending 3, sending 0, sent 40, failed 1
        pochta queue list --state failed
        pochta queue retry --all
    """
    ctx.obj = queue_path
    if ctx.invoked_subcommand is not None:
        return
    with _opened(queue_path) as opened:
        counts = opened.counts()
    if as_json:
        click.echo(json.dumps(counts.as_json()))
        return
    for state, count in counts.as_json().items():
        click.echo(f"{state:<8} {count}")


def _when(timestamp: float | None) -> str:
    return "-" if timestamp is None else datetime.fromtimestamp(timestamp).strftime("%H:%M:%S")


def _line(message: QueuedMessage) -> str:
    to = ",".join(message.rcpt_tos)
    head = (
        f"{message.id:>6} {message.state:<8} {message.attempts}/{message.max_attempts} "
        f"next {_when(message.next_try)} {message.mail_from} -> {to}"
    )
    fates = {(r.state, r.reply) for r in message.recipients}
    if len(fates) > 1:  # the recipients went different ways: say how, one line each
        return "\n".join(
            [head]
            + [
                f"       {r.state:<8} {r.address}"
                + (f" (attempt {r.attempt})" if r.attempt else "")
                + (f": {r.reply}" if r.reply else "")
                for r in message.recipients
            ]
        )
    return head + (f"\n       {message.last_error}" if message.last_error else "")


@queue.command(name="list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(_STATES),
    help="Only this state (repeatable; default: pending, sending, failed).",
)
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="The most messages to list (oldest first).",
)
@_json_option
@click.pass_obj
def list_(queue_path: Path | None, states: tuple[str, ...], limit: int, as_json: bool) -> None:
    """List queued messages: id, state, attempts, next try, addresses, last error.

    A message whose recipients went different ways (one sent, one refused
    with a 4xx and waiting, one refused for good) gets a line for each.
    """
    from pochta.mail.queue import State

    chosen = [State(s) for s in states] or [State.PENDING, State.SENDING, State.FAILED]
    with _opened(queue_path) as opened:
        messages = opened.list(chosen, limit=limit)
    if as_json:
        click.echo(json.dumps([m.as_json() for m in messages], indent=2))
        return
    for message in messages:
        click.echo(_line(message))


@queue.command()
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every failed message.")
@_json_option
@click.pass_obj
def retry(queue_path: Path | None, ids: tuple[int, ...], every: bool, as_json: bool) -> None:
    """Make failed messages pending again, with their attempts counted from zero.

    Only the recipients that failed are tried again; those a message was
    already delivered to do not get it twice.
    """
    if bool(ids) == every:
        raise click.UsageError("give the ids of failed messages, or --all")
    with _opened(queue_path) as opened:
        count = opened.retry(None if every else ids)
    _done(as_json, "retried", count)


@queue.command()
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["sent", "failed"]),
    help="Delete messages in this state (repeatable; default: sent).",
)
@_json_option
@click.pass_obj
def purge(queue_path: Path | None, states: tuple[str, ...], as_json: bool) -> None:
    """Delete sent messages (or failed ones, with --state failed) from the queue file."""
    from pochta.mail.queue import State

    with _opened(queue_path) as opened:
        count = opened.purge([State(s) for s in states or ("sent",)])
    _done(as_json, "purged", count)


def _done(as_json: bool, what: str, count: int) -> None:
    if as_json:
        click.echo(json.dumps({what: count}))
    else:
        click.echo(f"{what} {count} message(s)")
