"""``pochta worker``: deliver the messages the queue backend put in the queue file."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType

import click

__all__ = ["queue_option", "worker"]

queue_option = click.option(
    "--queue",
    "queue_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="The queue file (default: EMAIL_QUEUE_PATH, else .pochta/queue.db).",
)


@click.command()
@queue_option
@click.option("--until-empty", is_flag=True, help="Exit once nothing is pending or being sent.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    metavar="N",
    help="Messages delivered at once (threads, each with its own connection).",
)
@click.option(
    "--retry-delay",
    type=click.FloatRange(0),
    metavar="SECONDS",
    help="Wait before the first retry, doubled each time (default: EMAIL_QUEUE_RETRY_DELAY, 30).",
)
@click.option(
    "--max-retry-delay",
    type=click.FloatRange(0),
    metavar="SECONDS",
    help="The longest wait between two tries (default: EMAIL_QUEUE_MAX_RETRY_DELAY, 3600).",
)
@click.option(
    "--lease",
    type=click.FloatRange(0.1),
    metavar="SECONDS",
    help="How long a message stays with this worker before another may take it "
    "(default: EMAIL_QUEUE_LEASE, 300).",
)
@click.option(
    "--poll",
    type=click.FloatRange(0.01),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="Longest wait between two looks at the queue when nothing is due.",
)
@click.option("--quiet", is_flag=True, help="Log retries and failures only, not each send.")
def worker(
    queue_path: Path | None,
    until_empty: bool,
    concurrency: int,
    retry_delay: float | None,
    max_retry_delay: float | None,
    lease: float | None,
    poll: float,
    quiet: bool,
) -> None:
    """Deliver queued mail through EMAIL_QUEUE_BACKEND, retrying what may pass later.

    A 4xx reply or a lost connection is retried after --retry-delay (doubled
    each time, at most --max-retry-delay) up to EMAIL_QUEUE_MAX_ATTEMPTS
    tries; a 5xx reply fails the message at once. A recipient refused while
    others were accepted is retried or failed alone. The send log goes to
    stderr. SIGTERM or Ctrl-C finishes the messages in hand, then exits (0).
    Settings come from environment variables with Django's names: MAILERS as
    JSON (Django 6.1), or EMAIL_HOST, EMAIL_PORT, ... (Django 6.0).

    \b
    Example:
        EMAIL_PORT=1025 pochta worker --until-empty --concurrency 4
    """
    from pochta.exceptions import PochtaError
    from pochta.mail.queue import Worker, open_queue

    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        queue = open_queue(queue_path)
    except (PochtaError, OSError) as error:
        click.echo(f"pochta worker: {error}", err=True)
        sys.exit(1)
    try:
        runner = Worker(
            queue,
            concurrency=concurrency,
            lease=lease,
            poll=poll,
            retry_delay=retry_delay,
            max_retry_delay=max_retry_delay,
        )
    except PochtaError as error:
        queue.close()
        click.echo(f"pochta worker: {error}", err=True)
        sys.exit(1)

    def stop(signum: int, frame: FrameType | None) -> None:
        runner.stop()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with queue:
            report = runner.run(until_empty=until_empty)
            left = queue.counts()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo(
        f"pochta worker: {report.sent} sent, {report.failed} failed, {report.retried} retries; "
        f"{left.pending} pending, {left.failed} failed in {queue.path}",
        err=True,
    )
