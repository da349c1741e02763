"""``pochta sendmail``: a sendmail-compatible command that hands a message to the catcher.

Programs that send mail by running ``sendmail`` (PHP's ``mail()``, cron,
git's ``send-email``, mailx, mutt) can run ``pochta sendmail`` instead (or
``pochta-sendmail``, the same command as a script of its own). The message
comes on standard input; it goes to a catcher's SMTP address (``-S
HOST:PORT``, as Mailpit's ``sendmail -S``; default 127.0.0.1:1025) or, with
``--database``, straight into a store file. Exit codes are sendmail's
(``sysexits.h``): 0 sent, 64 usage, 65 bad input, 67 a recipient refused,
69 the server refused, 75 no server to talk to (try later).
"""

from __future__ import annotations

import getpass
import re
import socket
import sys
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from pochta.cli.handoff import EX_DATAERR, EX_USAGE, Handoff, relay_smtp_session
from pochta.config.value import parse_host_port
from pochta.exceptions import ConfigurationError

if TYPE_CHECKING:
    from pochta.mail.submission import Submission

__all__ = ["MAX_INPUT", "main", "read_message", "recipients_of", "sendmail"]

MAX_INPUT = 1000 * 1024 * 1024
"""Largest message read from standard input (as Mailpit's 1000 MiB cap)."""

_DOT_LINE = re.compile(rb"^\.\r?\n", re.MULTILINE)


def read_message(stream: BinaryIO, *, dot_ends: bool) -> bytes:
    """Read a message from ``stream`` up to its end, with CRLF line ends.

    With ``dot_ends`` (sendmail without ``-i``) a line holding only ``.``
    ends the message, as it does in sendmail. Raises ``ValueError`` past
    :data:`MAX_INPUT`.
    """
    data = stream.read(MAX_INPUT + 1)
    if len(data) > MAX_INPUT:
        raise ValueError(f"the message is over {MAX_INPUT // (1024 * 1024)} MiB")
    if dot_ends:
        found = _DOT_LINE.search(data)
        if found is not None:
            data = data[: found.start()]
    return re.sub(rb"\r?\n", b"\r\n", data)


def recipients_of(raw: bytes) -> list[str]:
    """Return the addresses of the To, Cc and Bcc headers of ``raw`` (sendmail's ``-t``)."""
    headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
    fields = [str(value) for name in ("To", "Cc", "Bcc") for value in headers.get_all(name, [])]
    return [address for _, address in getaddresses(fields) if address]


def _local_sender() -> str:
    # sendmail's default: the user at this host (Mailpit keeps only [A-Za-z._-] of each).
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "nobody"
    return f"{_safe(user) or 'nobody'}@{_safe(socket.gethostname()) or 'localhost'}"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", text).strip(".-")


def _qualified(address: str) -> str:
    # sendmail qualifies a local name such as cron's MAILTO=root with this host.
    return address if "@" in address else f"{address}@{_safe(socket.gethostname()) or 'localhost'}"


def _envelope(
    sender: str | None, arguments: tuple[str, ...], raw: bytes, from_headers: bool
) -> Submission:
    from pochta.mail.submission import Submission, prep_address

    try:
        mail_from = prep_address(sender) if sender else _local_sender()
        given = list(arguments)
        if from_headers or not given:  # Mailpit: no recipients given means -t
            given += recipients_of(raw)
        rcpt_tos = list(dict.fromkeys(_qualified(prep_address(a)) for a in given))
    except ValueError as error:  # BadHeaderError is one: a line break in an address
        raise click.UsageError(str(error)) from None
    if not rcpt_tos:
        raise click.UsageError(
            "no recipients: give them as arguments, or a message with To, Cc or Bcc headers"
        )
    return Submission(mail_from, rcpt_tos, raw)


class _Usage(click.UsageError):
    """A usage error that exits with sendmail's 64 (EX_USAGE), not click's 2."""

    exit_code = EX_USAGE


class _SendmailCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            raise _Usage(error.message, error.ctx) from None


@click.command(cls=_SendmailCommand)
@click.argument("recipients", nargs=-1, metavar="[RECIPIENT]...")
@click.option(
    "-S",
    "--smtp-addr",
    "smtp_addr",
    metavar="HOST:PORT",
    envvar="POCHTA_SENDMAIL_SMTP_ADDR",
    show_envvar=True,
    default="127.0.0.1:1025",
    show_default=True,
    help="The catcher's SMTP address (pochta serve --smtp).",
)
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="POCHTA_SENDMAIL_DATABASE",
    show_envvar=True,
    help="Store the message straight into this store file instead (no server needed).",
)
@click.option("-f", "-r", "sender", metavar="ADDRESS", help="Envelope sender (MAIL FROM).")
@click.option("-t", "from_headers", is_flag=True, help="Add the To, Cc and Bcc recipients.")
@click.option("-i", "ignore_dots", is_flag=True, help="A line of one dot does not end input.")
@click.option("-o", "options", multiple=True, metavar="OPTION", help="-oi is -i; others ignored.")
@click.option("-b", "mode", default="m", metavar="MODE", help="-bm deliver (default); -bs SMTP.")
@click.option("-F", "full_name", metavar="NAME", help="Sender's full name (ignored).")
@click.option("-B", "-N", "-R", "-V", "-O", "-L", "ignored", multiple=True, hidden=True)
@click.option("-v", "-U", "-n", "flags", count=True, hidden=True)
def sendmail(
    recipients: tuple[str, ...],
    smtp_addr: str,
    database: Path | None,
    sender: str | None,
    from_headers: bool,
    ignore_dots: bool,
    options: tuple[str, ...],
    mode: str,
    full_name: str | None,
    ignored: tuple[str, ...],
    flags: int,
) -> None:
    """Send the message on standard input to the catcher, as sendmail would.

    Recipients are the arguments, plus the To, Cc and Bcc headers with -t
    (or when no argument is given). Without -i (or -oi) a line holding only
    "." ends the message. The message is stored as given (Bcc kept, nothing
    added), with CRLF line ends. Other options programs pass (-B8BITMIME,
    -oem, -odi, -v, -N, -R, -V, -O, -L, -U, -n) are accepted and ignored.
    Exit codes are sendmail's: 64 usage, 65 bad message, 67 recipients
    refused, 69 message refused, 73 store not writable, 75 no catcher reached.

    \b
    Examples:
        pochta sendmail -t -i < message.eml
        pochta sendmail -S 127.0.0.1:2525 -f app@example.com ann@example.com
        php -d sendmail_path="pochta sendmail -t -i" script.php
    """
    try:
        address = parse_host_port(smtp_addr, name="-S")
    except ConfigurationError as error:
        raise _Usage(str(error)) from None
    if mode not in ("m", "s"):
        raise _Usage(f"-b{mode} is not supported; give -bm (deliver) or -bs (SMTP)")
    if mode == "s":
        if database is not None:
            raise _Usage("-bs talks SMTP to a server; give -S HOST:PORT, not --database")
        stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
        sys.exit(relay_smtp_session(address, stdin, stdout))
    dot_ends = not (ignore_dots or "i" in options)
    try:
        raw = read_message(sys.stdin.buffer, dot_ends=dot_ends)
    except ValueError as error:
        click.echo(f"pochta sendmail: {error}", err=True)
        sys.exit(EX_DATAERR)
    if not raw.strip():
        click.echo("pochta sendmail: no message on standard input", err=True)
        sys.exit(EX_DATAERR)
    try:
        submission = _envelope(sender, recipients, raw, from_headers)
    except click.UsageError as error:
        click.echo(f"pochta sendmail: {error.message}", err=True)
        sys.exit(EX_USAGE)
    sys.exit(Handoff(submission, smtp=address, database=database).deliver())


def main() -> None:
    """Run ``pochta sendmail`` as a program of its own (the ``pochta-sendmail`` script)."""
    sendmail(prog_name="pochta-sendmail")
