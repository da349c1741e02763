"""The ``pochta`` command: the click group and one module per command family.

=================  ===================================================================
``serve``          :mod:`pochta.cli.serve` (options from :mod:`pochta.cli.option`)
``send``           :mod:`pochta.cli.send`
``sendmail``       :mod:`pochta.cli.sendmail` (delivery in :mod:`pochta.cli.handoff`)
``import``         :mod:`pochta.cli.ingest`
``ls``, ``show``   :mod:`pochta.cli.read`
``dump``           :mod:`pochta.cli.dump` (``--http`` in :mod:`pochta.cli.remote`)
``reindex``        :mod:`pochta.cli.reindex`
``demo``           :mod:`pochta.cli.demo`
``worker``         :mod:`pochta.cli.worker`
``queue``          :mod:`pochta.cli.queue`
=================  ===================================================================

Each command imports what it runs only when it runs, so ``pochta --help``
and ``pochta send`` start without loading the server.
"""

from __future__ import annotations

import click

from pochta import __version__
from pochta.cli.demo import demo
from pochta.cli.dump import dump
from pochta.cli.ingest import import_
from pochta.cli.queue import queue
from pochta.cli.read import ls, show
from pochta.cli.reindex import reindex
from pochta.cli.send import send
from pochta.cli.sendmail import sendmail
from pochta.cli.serve import serve
from pochta.cli.worker import worker

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pochta")
def main() -> None:
    """Send email the way Django does, and catch, read and test every message offline."""


for command in (serve, send, sendmail, import_, ls, show, dump, reindex, demo, worker, queue):
    main.add_command(command)
