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

import importlib

import click

from pochta import __version__

__all__ = ["COMMANDS", "main"]

#: Each command's module and function, in the order ``pochta --help`` lists them.
#: A command's module is imported only when that command runs (or --help lists it).
COMMANDS = {
    "serve": ("pochta.cli.serve", "serve"),
    "send": ("pochta.cli.send", "send"),
    "sendmail": ("pochta.cli.sendmail", "sendmail"),
    "import": ("pochta.cli.ingest", "import_"),
    "ls": ("pochta.cli.read", "ls"),
    "show": ("pochta.cli.read", "show"),
    "dump": ("pochta.cli.dump", "dump"),
    "reindex": ("pochta.cli.reindex", "reindex"),
    "demo": ("pochta.cli.demo", "demo"),
    "worker": ("pochta.cli.worker", "worker"),
    "queue": ("pochta.cli.queue", "queue"),
}


class _LazyGroup(click.Group):
    """A group that imports a command's module when the command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, attribute = COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pochta")
def main() -> None:
    """Send email the way Django does, and catch, read and test every message offline."""
