"""``manage.py pochta``: run the catcher (``pochta serve``) with the project's settings.

``manage.py pochta worker`` runs ``pochta worker`` instead: it delivers what
the queue backend queued, reading ``EMAIL_*`` from the project's settings.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError

from pochta.config import parse_host_port
from pochta.django.catcher import PROJECT_SETTINGS, catcher_settings, default_target
from pochta.django.checks import project_settings
from pochta.exceptions import ConfigurationError, PochtaError

if TYPE_CHECKING:
    from pochta.server.app import Catcher

__all__ = ["Command"]


class Command(BaseCommand):
    """Catch the project's mail: SMTP and the inbox/API, until Ctrl-C or SIGTERM.

    Example::

        python manage.py pochta                 # SMTP on EMAIL_PORT, inbox on :8025
        python manage.py pochta --listen 127.0.0.1:9025 --temp
    """

    help = (
        "Run pochta's mail catcher (SMTP + web inbox/API) with this project's settings: "
        "SMTP on the default mailer's host:port (EMAIL_HOST:EMAIL_PORT without MAILERS) "
        "when that is this machine, the store in BASE_DIR/.pochta/mail.db; the POCHTA "
        "setting and these options override."
    )
    requires_system_checks = ()  # the catcher is what pochta.W001 asks for

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the options; each overrides the project's settings."""
        parser.add_argument(
            "action", nargs="?", choices=["worker"], help="worker: deliver the send queue."
        )
        # The worker's options are pochta worker's (docs/cli.md tells each in full).
        worker = parser.add_argument_group("worker")
        worker.add_argument("--queue", type=Path, metavar="PATH", help="The queue file.")
        worker.add_argument("--until-empty", action="store_true", help="Drain, then exit.")
        worker.add_argument("--concurrency", type=int, default=1, help="Messages at once.")
        worker.add_argument("--retry-delay", type=float, help="First retry wait, seconds.")
        worker.add_argument("--max-retry-delay", type=float, help="Longest retry wait, seconds.")
        worker.add_argument("--lease", type=float, help="Seconds a message is held.")
        worker.add_argument("--poll", type=float, default=1.0, help="Longest idle wait, seconds.")
        worker.add_argument("--quiet", action="store_true", help="Log retries and failures only.")
        parser.add_argument("--smtp", metavar="HOST:PORT", help="SMTP address (0 = free port).")
        parser.add_argument("--listen", metavar="HOST:PORT", help="Inbox and API address.")
        parser.add_argument("--database", metavar="PATH", type=Path, help="The store file.")
        parser.add_argument(
            "--temp", action="store_true", default=None, help="Keep mail in a temporary store."
        )
        parser.add_argument(
            "--verbose-log",
            dest="verbose",
            action="store_true",
            default=None,
            help="Log every SMTP session and HTTP request.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Build the settings, then serve until a signal (or run the worker)."""
        if options["action"] == "worker":
            self._work(options)
            return
        from pochta.server.app import exposure_warnings, serve

        try:
            overrides = {
                "smtp": _address(options["smtp"], "--smtp"),
                "listen": _address(options["listen"], "--listen"),
                "database": options["database"],
                "temp": options["temp"],
                "verbose": options["verbose"],
            }
            settings = catcher_settings(project_settings(PROJECT_SETTINGS), overrides)
        except ConfigurationError as error:
            raise CommandError(str(error)) from None
        logging.basicConfig(
            level=logging.INFO if settings.verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        for warning in exposure_warnings(settings):
            self.stderr.write(f"warning: {warning}")
        target = default_target(project_settings(PROJECT_SETTINGS))
        if target is not None and target.address != settings.smtp and settings.smtp.port != 0:
            self.stderr.write(
                f"warning: the project sends mail to {target.address}, the catcher listens on "
                f"{settings.smtp}; set {target.port_setting} = {settings.smtp.port} "
                "or drop --smtp"
            )
        try:
            asyncio.run(serve(settings, on_ready=self._announce))
        except (PochtaError, OSError) as error:
            raise CommandError(f"pochta: {error}") from None
        except KeyboardInterrupt:  # Ctrl-C while starting
            sys.exit(130)

    def _work(self, options: dict[str, Any]) -> None:
        """Run pochta worker with the project's settings until SIGTERM (or drained)."""
        import signal

        from pochta.mail.queue import Worker, open_queue

        logging.basicConfig(
            level=logging.WARNING if options["quiet"] else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        try:
            queue = open_queue(options["queue"])
        except (PochtaError, OSError) as error:
            raise CommandError(f"pochta worker: {error}") from None
        try:
            runner = Worker(
                queue,
                concurrency=options["concurrency"],
                lease=options["lease"],
                poll=options["poll"],
                retry_delay=options["retry_delay"],
                max_retry_delay=options["max_retry_delay"],
            )
        except (PochtaError, ValueError) as error:
            queue.close()
            raise CommandError(f"pochta worker: {error}") from None
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: runner.stop())
        with queue:
            report = runner.run(until_empty=options["until_empty"])
            left = queue.counts()
        self.stderr.write(
            f"pochta worker: {report.sent} sent, {report.failed} failed, {report.retried} "
            f"retries; {left.pending} pending, {left.failed} failed in {queue.path}"
        )

    def _announce(self, catcher: Catcher) -> None:
        """Print the addresses in the form ``pochta serve`` uses (scripts read them)."""
        self.stdout.write(f"SMTP  smtp://{catcher.smtp_address}")
        self.stdout.write(f"Inbox http://{catcher.http_address}")
        self.stdout.write(f"Store {catcher.store.location}")
        self.stdout.flush()


def _address(text: str | None, flag: str) -> Any:
    return None if text is None else parse_host_port(text, name=flag)
