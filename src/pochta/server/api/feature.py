"""What the routes are told about the server around them: relay, label, duplicates, ingest.

``create_app(store, features=Features(...))`` puts one :class:`Features` on the
app; routes read it with :data:`~pochta.server.api.dependency.FeaturesDep`. The
default is a bare catcher: no relay, no label, duplicates kept, messages added
straight to the store. No FastAPI here: the SMTP side builds a
:class:`Features` before the HTTP side is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pochta.server.relay.config import RelayConfig

__all__ = ["Features"]


@dataclass(frozen=True, slots=True)
class Features:
    """The settings of ``pochta serve`` that routes answer with or act on."""

    relay: RelayConfig | None = None
    """Where ``POST /api/v1/message/{ID}/release`` sends; None: release is off."""
    label: str = ""
    """``--label``: names this catcher in the inbox title and ``/api/v1/webui``."""
    duplicates_ignored: bool = False
    """``--ignore-duplicate-ids``."""
    deliver: Callable[..., str] | None = None
    """How ``POST /api/v1/send`` stores (relay, forward, duplicates): called as
    ``deliver(raw, envelope, mailbox=NAME)``; None: the mailbox's ``store.add``."""
