"""What the routes are told about the server around them: relay, label, duplicates, ingest.

``create_app(store, features=Features(...))`` puts one :class:`Features` on the
app; routes read it with :data:`FeaturesDep`. The default is a bare catcher:
no relay, no label, duplicates kept, messages added straight to the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from pochta.message.envelope import Envelope
from pochta.server.relay.config import RelayConfig

__all__ = ["Features", "FeaturesDep", "get_features"]


@dataclass(frozen=True, slots=True)
class Features:
    """The settings of ``pochta serve`` that routes answer with or act on."""

    relay: RelayConfig | None = None
    """Where ``POST /api/v1/message/{ID}/release`` sends; None: release is off."""
    label: str = ""
    """``--label``: names this catcher in the inbox title and ``/api/v1/webui``."""
    duplicates_ignored: bool = False
    """``--ignore-duplicate-ids``."""
    deliver: Callable[[bytes, Envelope], str] | None = None
    """How ``POST /api/v1/send`` stores (relay, forward, duplicates); None: ``store.add``."""


def get_features(request: Request) -> Features:
    """Return the app's :class:`Features` (FastAPI dependency)."""
    return cast(Features, getattr(request.app.state, "features", None) or Features())


#: A route parameter that receives the app's :class:`Features`.
FeaturesDep = Annotated[Features, Depends(get_features)]
