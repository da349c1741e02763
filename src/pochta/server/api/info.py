"""``GET /api/v1/info`` and ``GET /api/v1/webui``: Mailpit's application routes.

``/api/v1/info`` fills what pochta knows: its version, the store's path and
size, the message, unread and per-tag counts, and runtime figures since the
server started (uptime, resident memory, messages accepted over SMTP and
their bytes, messages deleted). ``LatestVersion`` is always ``""`` (pochta
never calls out to the network). As in Mailpit, ``SMTPRejected`` counts each
recipient ``--smtp-allowed-recipients`` refuses (also when
``--smtp-ignore-rejected-recipients`` answers it 250), not refusals for size,
login or limits; ``SMTPIgnored`` counts duplicates ``--ignore-duplicate-ids`` drops.

``/api/v1/webui`` answers the settings of Mailpit's web UI that pochta has:
the ``--label``, the relay of ``--smtp-relay-config`` (``MessageRelay``, with
Mailpit's deprecated ``RecipientAllowlist`` key that its clients expect),
``--ignore-duplicate-ids``, and whether chaos and ``--enable-spamassassin`` are on.
"""

from __future__ import annotations

import resource
from pathlib import Path
from typing import cast

from fastapi import APIRouter, Request

from pochta import __version__
from pochta.server.api.dependency import FeaturesDep, StoreDep, mailbox_of
from pochta.server.api.event import EventHubs
from pochta.server.api.model import AppInformation, WebUIConfiguration, documented
from pochta.server.api.shape import JSON
from pochta.server.check import get_checks
from pochta.server.relay.config import RelayConfig

__all__ = ["message_relay_json", "resident_memory", "router"]

router = APIRouter(prefix="/api/v1", tags=["application"])


def resident_memory() -> int:
    """Return this process's resident memory in bytes (VmRSS; peak RSS where absent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@router.get(
    "/info",
    summary="Get application information",
    response_model=None,
    responses=documented(AppInformation),
)
def info(request: Request, store: StoreDep) -> JSON:
    """Return Mailpit's ``AppInformation``: version, store, counts and runtime figures."""
    facts = store.info()
    stats = cast(EventHubs, request.app.state.events).of(mailbox_of(request)).stats
    return {
        "Version": __version__,
        "LatestVersion": "",
        "Database": facts.location,
        "DatabaseSize": facts.size_bytes,
        "Messages": facts.total,
        "Unread": facts.unread,
        "Tags": dict(facts.tags),
        "RuntimeStats": {
            "Uptime": stats.uptime(),
            "Memory": resident_memory(),
            "MessagesDeleted": stats.messages_deleted,
            "SMTPAccepted": stats.smtp_accepted,
            "SMTPAcceptedSize": stats.smtp_accepted_size,
            "SMTPRejected": stats.smtp_rejected,
            "SMTPIgnored": stats.smtp_ignored,
        },
    }


@router.get(
    "/webui",
    summary="Get web UI configuration",
    response_model=None,
    responses=documented(WebUIConfiguration),
)
def webui(request: Request, features: FeaturesDep) -> JSON:
    """Return Mailpit's ``WebUIConfiguration``: label, relay, duplicates, chaos."""
    return {
        "Label": features.label,
        "MessageRelay": message_relay_json(features.relay),
        "SpamAssassin": get_checks(request).spam is not None,
        "ChaosEnabled": bool(request.app.state.chaos.enabled),
        "DuplicatesIgnored": features.duplicates_ignored,
        "HideDeleteAllButton": False,
    }


def message_relay_json(relay: RelayConfig | None) -> JSON:
    """Return Mailpit's ``MessageRelay`` (all zero values when release is off)."""
    upstream = relay.upstream if relay is not None else None
    allowed = relay.allowed_recipients if relay is not None else None
    blocked = relay.blocked_recipients if relay is not None else None
    allowed_text = allowed.pattern if allowed is not None else ""
    return {
        "Enabled": relay is not None,
        "SMTPServer": upstream.address if upstream is not None else "",
        "ReturnPath": upstream.return_path if upstream is not None else "",
        "AllowedRecipients": allowed_text,
        "BlockedRecipients": blocked.pattern if blocked is not None else "",
        "OverrideFrom": upstream.override_from if upstream is not None else "",
        "PreserveMessageIDs": relay.preserve_message_ids if relay is not None else False,
        "RecipientAllowlist": allowed_text,
    }
