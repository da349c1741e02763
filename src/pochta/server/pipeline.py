"""What happens to each accepted message before it is stored: duplicates, auto-relay, forward.

Mailpit's order (its ``SaveToDatabase``): with ``--ignore-duplicate-ids`` a
message whose Message-ID is already stored is dropped (answered as if
stored, with no id); then it is auto-relayed (``--smtp-relay-all`` or
``--smtp-relay-matching``, to its envelope recipients minus
``blocked-recipients``, as it came) and forwarded (``--smtp-forward-config``,
to the fixed addresses); then it is stored. A failed relay or forward is
logged and the message still stored, unless the upstream's
``forward-smtp-errors`` is set: then nothing is stored and the SMTP client
gets the upstream's refusal (:class:`~pochta.exceptions.RelayError`). SMTP
clients wait for the upstream, as in Mailpit; the event loop does not: the
sending runs on :data:`SENDERS` threads of the pipeline's own, so a hung
upstream holds only the messages it relays, never the store's work (which
runs on the loop's default threads).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.parser
import email.policy
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pochta.exceptions import RelayError
from pochta.message.envelope import Envelope
from pochta.server.relay.client import send_upstream
from pochta.server.relay.config import ForwardConfig, RelayConfig, Upstream
from pochta.store import Store
from pochta.store.mailbox import Routing
from pochta.store.query import Query, Term

__all__ = ["SENDERS", "Pipeline"]

logger = logging.getLogger(__name__)

_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.compat32)

SENDERS = 32
"""Relays and forwards under way at once; more wait their turn (their SMTP clients with them)."""


def _senders() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(SENDERS, thread_name_prefix="pochta-relay")


@dataclass(frozen=True, slots=True)
class _Sending:
    upstream: Upstream
    what: str  # "relay" or "forward", for the log
    sender: str
    recipients: Sequence[str]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Deliver accepted messages into ``store``, relaying and forwarding them as configured."""

    store: Store
    relay: RelayConfig | None = None
    relay_all: bool = False
    relay_matching: re.Pattern[str] | None = None
    forward: ForwardConfig | None = None
    ignore_duplicate_ids: bool = False
    routing: Routing = field(default_factory=Routing)
    _senders: concurrent.futures.ThreadPoolExecutor = field(
        default_factory=_senders, init=False, repr=False, compare=False
    )

    def mailbox_store(self, envelope: Envelope, mailbox: str | None = None) -> Store:
        """Return the store of ``mailbox``, or of the mailbox :attr:`routing` chooses."""
        return self.store.mailbox(mailbox or self.routing.mailbox_for(envelope))

    async def adeliver(self, raw: bytes, envelope: Envelope) -> str:
        """Store ``raw`` from the event loop; return its id ("" for an ignored duplicate)."""
        store = self.mailbox_store(envelope)
        if self.ignore_duplicate_ids and await asyncio.to_thread(self._duplicate, store, raw):
            return ""
        sendings = self._sendings(envelope)
        if sendings:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._senders, self._send_all, sendings, raw)
        message_id = await store.aadd(raw, envelope)
        _log_stored(message_id, raw, envelope)
        return message_id

    def deliver(self, raw: bytes, envelope: Envelope, *, mailbox: str | None = None) -> str:
        """Store ``raw`` from a worker thread (``POST /api/v1/send``); "" for a duplicate.

        ``mailbox`` (the one whose URL was posted to) overrides :attr:`routing`.
        """
        store = self.mailbox_store(envelope, mailbox)
        if self.ignore_duplicate_ids and self._duplicate(store, raw):
            return ""
        self._send_all(self._sendings(envelope), raw)
        return store.add(raw, envelope)

    def close(self) -> None:
        """Let the sending threads end (a relay under way finishes; none starts after)."""
        self._senders.shutdown(wait=False, cancel_futures=True)

    def _duplicate(self, store: Store, raw: bytes) -> bool:
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        value = _HEADERS.parsebytes(head).get("Message-ID")
        message_id = " ".join(str(value or "").split()).strip("<>").strip()
        if not message_id:
            return False
        if not store.search_ids(Query((Term("message-id", message_id),))):
            return False
        logger.info("ignored a message with the duplicate Message-ID <%s>", message_id)
        return True

    def _sendings(self, envelope: Envelope) -> list[_Sending]:
        sendings = []
        if self.relay is not None:
            recipients = self._relay_recipients(self.relay, envelope)
            if recipients:
                sendings.append(
                    _Sending(self.relay.upstream, "relay", envelope.mail_from, recipients)
                )
        if self.forward is not None:
            sendings.append(
                _Sending(self.forward.upstream, "forward", envelope.mail_from, self.forward.to)
            )
        return sendings

    def _send_all(self, sendings: Sequence[_Sending], raw: bytes) -> None:
        for sending in sendings:
            self._send(sending, raw)

    def _relay_recipients(self, relay: RelayConfig, envelope: Envelope) -> list[str]:
        blocked = relay.blocked_recipients
        recipients = [r for r in envelope.rcpt_tos if blocked is None or not blocked.search(r)]
        if self.relay_all:
            return recipients
        if self.relay_matching is not None:
            return [r for r in recipients if self.relay_matching.search(r)]
        return []

    def _send(self, sending: _Sending, raw: bytes) -> None:
        upstream, what, sender = sending.upstream, sending.what, sending.sender
        try:
            send_upstream(upstream, sender, sending.recipients, raw)
        except RelayError as error:
            if upstream.forward_smtp_errors:
                raise
            logger.warning("%s of a message from <%s> failed: %s", what, sender, error)
        else:
            logger.info("%s: sent a message from <%s> via %s", what, sender, upstream.address)


def _log_stored(message_id: str, raw: bytes, envelope: Envelope) -> None:
    logger.info(
        "stored %s: %d bytes from <%s> to %d recipient(s), client %s",
        message_id,
        len(raw),
        envelope.mail_from,
        len(envelope.rcpt_tos),
        envelope.client_address or "?",
    )
