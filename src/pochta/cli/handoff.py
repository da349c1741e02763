"""Handing ``pochta sendmail``'s message to the catcher: over SMTP, or into a store file.

:class:`Handoff` sends one message and returns sendmail's exit code, after
one line on stderr for anything that went wrong; :func:`relay_smtp_session`
is ``sendmail -bs``: the caller speaks SMTP on standard input and output,
relayed to the catcher as it is.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from pochta.config.value import HostPort
from pochta.exceptions import PochtaError

if TYPE_CHECKING:
    from pochta.mail.submission import Submission

__all__ = [
    "EX_CANTCREAT",
    "EX_DATAERR",
    "EX_NOUSER",
    "EX_OK",
    "EX_TEMPFAIL",
    "EX_UNAVAILABLE",
    "EX_USAGE",
    "Handoff",
    "relay_smtp_session",
]

# sysexits.h, the exit codes of sendmail (PHP's mail() returns false on any but 0)
EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_NOUSER = 67
EX_UNAVAILABLE = 69
EX_CANTCREAT = 73
EX_TEMPFAIL = 75

SMTP_TIMEOUT = 60.0
"""Seconds to wait for the catcher at each step of the SMTP conversation."""


def _fail(text: str, code: int) -> int:
    click.echo(f"pochta sendmail: {text}", err=True)
    return code


def _text(reply: bytes | str) -> str:
    return reply if isinstance(reply, str) else reply.decode("utf-8", "replace")


def _reply_code(code: int) -> int:
    return EX_TEMPFAIL if 400 <= code < 500 else EX_DATAERR if code == 552 else EX_UNAVAILABLE


@dataclass(frozen=True, slots=True)
class Handoff:
    """One message for the catcher at ``smtp``, or for the store file ``database`` if given."""

    submission: Submission
    smtp: HostPort
    database: Path | None = None

    def deliver(self) -> int:
        """Hand the message over; return sendmail's exit code (0: accepted)."""
        if self.database is not None:
            return self._store(self.database)
        return self._send()

    def _store(self, database: Path) -> int:
        from pochta.store import Envelope, open_store

        mail_from, rcpt_tos, content = self.submission
        envelope = Envelope(mail_from, tuple(rcpt_tos), source="sendmail")
        try:
            with open_store(database) as store:
                store.add(content, envelope)
        except (PochtaError, OSError) as error:
            return _fail(f"cannot store the message in '{database}': {error}", EX_CANTCREAT)
        return EX_OK

    def _send(self) -> int:
        host, port = self.smtp.host, self.smtp.port
        try:
            with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as client:
                refused = self._converse(client)
        except smtplib.SMTPRecipientsRefused as error:
            replies = "; ".join(
                f"{address}: {code} {_text(text)}"
                for address, (code, text) in error.recipients.items()
            )
            return _fail(f"every recipient was refused ({replies})", EX_NOUSER)
        except smtplib.SMTPResponseException as error:
            text = f"{error.smtp_code} {_text(error.smtp_error)}"
            return _fail(f"{self.smtp} answered {text}", _reply_code(error.smtp_code))
        except (smtplib.SMTPException, OSError) as error:
            return _fail(
                f"cannot hand the message to an SMTP server at {self.smtp} ({error}); "
                "start `pochta serve`, or give -S HOST:PORT of a running one, or --database FILE",
                EX_TEMPFAIL,
            )
        for address, (code, message) in refused.items():
            _fail(f"{address} was refused: {code} {_text(message)}", EX_OK)
        return EX_OK

    def _converse(self, client: smtplib.SMTP) -> dict[str, tuple[int, bytes]]:
        mail_from, rcpt_tos, content = self.submission
        client.ehlo()
        if client.has_extn("starttls"):  # the catcher's own certificate: self-signed, as Mailpit
            unchecked = ssl.create_default_context()
            unchecked.check_hostname = False
            unchecked.verify_mode = ssl.CERT_NONE
            client.starttls(context=unchecked)
            client.ehlo()
        options = []
        if not all(a.isascii() for a in (mail_from, *rcpt_tos)) and client.has_extn("smtputf8"):
            options.append("SMTPUTF8")
        if not content.isascii() and client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        return client.sendmail(mail_from, rcpt_tos, content, mail_options=options)


def relay_smtp_session(address: HostPort, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Relay an SMTP conversation between standard input/output and the catcher (``-bs``).

    Returns when standard input ends and the catcher has closed the
    connection (or 30 seconds after that); the exit code is 75 when the
    catcher cannot be reached.
    """
    try:
        sock = socket.create_connection((address.host, address.port), timeout=SMTP_TIMEOUT)
    except OSError as error:
        return _fail(f"cannot reach an SMTP server at {address} ({error})", EX_TEMPFAIL)
    sock.settimeout(None)

    def copy_replies() -> None:
        with contextlib.suppress(OSError):  # the catcher hung up
            while chunk := sock.recv(65536):
                stdout.write(chunk)
                stdout.flush()

    replies = threading.Thread(target=copy_replies, daemon=True)
    replies.start()
    with sock:
        with contextlib.suppress(OSError):  # the catcher hung up first (after QUIT)
            read = getattr(stdin, "read1", stdin.read)  # what has come, not 64 KiB
            while chunk := read(65536):
                sock.sendall(chunk)
            sock.shutdown(socket.SHUT_WR)
        replies.join(30)
    return EX_OK
