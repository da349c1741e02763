"""The ``pochta`` command: ``serve``, ``send``, ``import``, ``ls``, ``show``, ``demo``."""

from __future__ import annotations

import click

from pochta import __version__

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pochta")
def main() -> None:
    """Send email the way Django does, and catch, read and test every message offline."""
