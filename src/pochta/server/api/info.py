"""``GET /api/v1/info`` and ``GET /api/v1/webui``: Mailpit's application routes.

``/api/v1/info`` fills what pochta knows: its version, the store's path and
size, the message, unread and per-tag counts, and runtime figures since the
server started (uptime, resident memory, messages accepted over SMTP and
their bytes, messages deleted). ``LatestVersion`` is always ``""`` (pochta
never calls out to the network); ``SMTPRejected`` and ``SMTPIgnored`` are 0
(the SMTP server answers refusals itself and ignores no duplicates).

``/api/v1/webui`` answers the settings of Mailpit's web UI that pochta has:
no relay, no SpamAssassin, no chaos, duplicates kept.
"""

from __future__ import annotations

import resource
from pathlib import Path
from typing import cast

from fastapi import APIRouter, Request

from pochta import __version__
from pochta.server.api.dependency import StoreDep
from pochta.server.api.event import EventHub
from pochta.server.api.model import AppInformation, WebUIConfiguration, documented
from pochta.server.api.shape import JSON

__all__ = ["resident_memory", "router"]

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
    stats = cast(EventHub, request.app.state.events).stats
    return {
        "Version": __version__,
        "LatestVersion": "",
        "Database": str(facts.path),
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
            "SMTPRejected": 0,
            "SMTPIgnored": 0,
        },
    }


@router.get(
    "/webui",
    summary="Get web UI configuration",
    response_model=None,
    responses=documented(WebUIConfiguration),
)
def webui() -> JSON:
    """Return Mailpit's ``WebUIConfiguration`` with pochta's (fixed) answers."""
    return {
        "Label": "",
        "MessageRelay": {
            "Enabled": False,
            "SMTPServer": "",
            "ReturnPath": "",
            "AllowedRecipients": "",
            "BlockedRecipients": "",
            "OverrideFrom": "",
            "PreserveMessageIDs": False,
        },
        "SpamAssassin": False,
        "ChaosEnabled": False,
        "DuplicatesIgnored": False,
        "HideDeleteAllButton": False,
    }
