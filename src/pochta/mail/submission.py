"""A message as a backend hands it to a server: envelope addresses and CRLF bytes.

Every backend that sends or stores bytes (smtp, store, queue) builds its
:class:`Submission` here, so all of them check addresses and headers alike
before anything is opened. A message object that already is on the wire
(the send queue's :class:`~pochta.mail.queue.QueuedEmail`) hands over its
own with a ``submission()`` method, so its exact bytes are sent.
"""

from __future__ import annotations

import email.generator
import email.parser
import email.policy
import io
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader
from typing import NamedTuple

from pochta.exceptions import BadHeaderError
from pochta.mail.backends.base import SendableMessage
from pochta.mail.header import LINE_BREAKS, punycode

__all__ = ["Submission", "build_submission", "prep_address"]


class Submission(NamedTuple):
    """What one message becomes on the wire: MAIL FROM, RCPT TO and the data.

    Not the store's :class:`~pochta.message.Envelope` (what a catcher was told);
    this is what a backend is about to say.
    """

    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message_id(self) -> str:
        """The Message-ID header of the bytes, unfolded, or ``""`` when there is none."""
        value = _HEADERS.parsebytes(self.content).get("Message-ID", "")
        return " ".join(str(value).split())


_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.compat32)


def prep_address(address: str, force_ascii: bool = True) -> str:
    """Return the addr-spec of ``address`` for MAIL FROM / RCPT TO.

    Raises BadHeaderError for a line break or NUL (SMTP command injection) and
    ValueError for anything that is not exactly one valid address; both messages
    start ``Invalid address '...':``, as Django's. With ``force_ascii`` a
    non-ASCII domain is IDNA-encoded.
    """
    address = str(address)
    if any(mark in address for mark in LINE_BREAKS):
        raise BadHeaderError(
            f"Invalid address {address!r}: it holds a line break, which would inject SMTP "
            "commands; remove it"
        )
    if "\x00" in address:
        raise BadHeaderError(f"Invalid address {address!r}: it holds a NUL character; remove it")
    try:
        parsed = AddressHeader.value_parser(address)
    except (HeaderParseError, IndexError) as error:
        # Python 3.11's parser raises on some malformed input that 3.12+ reports as a defect.
        reason = error if isinstance(error, HeaderParseError) else "it cannot be parsed"
        raise ValueError(f"Invalid address {address!r}: {reason}") from None
    defects = {str(defect) for defect in parsed.all_defects}
    # Django allows a local mailbox such as "webmaster" (Django #15042).
    defects.discard("addr-spec local part with no domain")
    if defects:
        raise ValueError(f"Invalid address {address!r}: {'; '.join(sorted(defects))}")
    mailboxes = parsed.all_mailboxes
    if len(mailboxes) != 1:
        raise ValueError(f"Invalid address {address!r}: must be a single address")
    mailbox = mailboxes[0]
    if force_ascii and mailbox.domain and not mailbox.domain.isascii():
        return str(Address(username=mailbox.local_part, domain=punycode(mailbox.domain)))
    return str(mailbox.addr_spec)


def build_submission(message: SendableMessage) -> Submission:
    """Turn a message into its envelope and CRLF bytes; raise on any bad address/header."""
    prepared = getattr(message, "submission", None)
    if callable(prepared):
        submission: Submission = prepared()
        return submission
    mail_from = prep_address(message.from_email)
    rcpt_tos = [prep_address(address) for address in message.recipients()]
    msg = message.message()
    buffer = io.BytesIO()
    generator = email.generator.BytesGenerator(
        buffer, mangle_from_=False, policy=msg.policy.clone(linesep="\r\n")
    )
    generator.flatten(msg)
    return Submission(mail_from, rcpt_tos, buffer.getvalue())
