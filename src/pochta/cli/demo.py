"""``pochta demo``: the catcher and the seeds' Task site together, for a first look."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pochta.exceptions import ConfigurationError, PochtaError

__all__ = ["demo"]


@click.command()
@click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    help="The Task site's folder (default: examples/tasksite of this checkout).",
)
@click.option(
    "--smtp",
    default="127.0.0.1:1025",
    show_default=True,
    metavar="HOST:PORT",
    help="The catcher's SMTP address (0 picks a free port).",
)
@click.option(
    "--listen",
    default="127.0.0.1:8025",
    show_default=True,
    metavar="HOST:PORT",
    help="The catcher's inbox and API address.",
)
@click.option(
    "--web",
    default="127.0.0.1:8000",
    show_default=True,
    metavar="HOST:PORT",
    help="The Task site's address (manage.py runserver).",
)
@click.option(
    "--temp", is_flag=True, help="Keep the mail and the site's database in a temp folder."
)
def demo(site: Path | None, smtp: str, listen: str, web: str, temp: bool) -> None:
    """Run the catcher and the seeds' Task site together, with a demo user, until Ctrl-C.

    Starts pochta serve, migrates the site, creates (or resets) the user demo
    (demo@task.local, password demo-password-1), runs manage.py runserver with
    its mail sent to the catcher, and prints both addresses. Needs Django.

    \b
    Example:
        pochta demo --temp
    """
    try:
        import django  # noqa: F401
    except ImportError:
        click.echo("pochta demo needs Django: pip install 'pochta[django]'", err=True)
        sys.exit(1)
    from pochta.config import parse_host_port
    from pochta.django.demo import DemoOptions, find_site, run_demo

    try:
        options = DemoOptions(
            site=find_site(site),
            smtp=parse_host_port(smtp, name="--smtp"),
            listen=parse_host_port(listen, name="--listen"),
            web=parse_host_port(web, name="--web"),
            temp=temp,
        )
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None
    try:
        code = run_demo(options, echo=_echo_flushed)
    except PochtaError as error:
        click.echo(f"pochta demo: {error}", err=True)
        sys.exit(1)
    sys.exit(code)


def _echo_flushed(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()
