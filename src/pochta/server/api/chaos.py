"""``/api/v1/chaos``: Mailpit's chaos triggers, and pochta's rules at ``/api/v1/chaos/rules``.

Both answer 400 ``Chaos is not enabled`` unless ``pochta serve`` was started
with ``--enable-chaos``, ``--chaos-triggers`` or ``--chaos-rules``, as
Mailpit's route does. ``PUT /api/v1/chaos`` follows Mailpit: a trigger left
out of the body is reset (``{}`` resets all). ``PUT /api/v1/chaos/rules``
replaces every rule at once, or none when one is wrong. Changes last until
the server stops.
"""

from __future__ import annotations

import json
from typing import Any, cast

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from pochta.exceptions import ConfigurationError
from pochta.server.api.dependency import body_schema
from pochta.server.api.model import ERRORS
from pochta.server.smtp.chaos import Chaos
from pochta.server.smtp.rule import parse_rules
from pochta.server.smtp.trigger import triggers_from_json

__all__ = ["ChaosTrigger", "ChaosTriggers", "router"]

router = APIRouter(prefix="/api/v1", tags=["testing"])


class ChaosTrigger(BaseModel):
    """Trigger for Chaos."""

    ErrorCode: int = Field(description="SMTP error code to return (400 to 599).", examples=[451])
    Probability: int = Field(description="Chance of the error, from 0 to 100.", examples=[5])


class ChaosTriggers(BaseModel):
    """Triggers for the Chaos configuration."""

    Sender: ChaosTrigger | None = None
    Recipient: ChaosTrigger | None = None
    Authentication: ChaosTrigger | None = None


def _enabled(request: Request) -> Chaos:
    chaos = cast(Chaos, request.app.state.chaos)
    if not chaos.enabled:
        raise ConfigurationError("Chaos is not enabled")
    return chaos


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise ConfigurationError("EOF")  # Mailpit's decoder error for an empty body
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"request body is not JSON: {error}") from None


_ANSWER: dict[int | str, dict[str, Any]] = {200: {"model": ChaosTriggers}, **ERRORS}


@router.get("/chaos", summary="Get Chaos triggers", response_model=None, responses=_ANSWER)
def get_chaos(request: Request) -> dict[str, Any]:
    """Return the current Chaos triggers; 400 if chaos is not enabled."""
    return _enabled(request).triggers.as_json()


@router.put(
    "/chaos",
    summary="Set Chaos triggers",
    response_model=None,
    responses=_ANSWER,
    openapi_extra=body_schema(ChaosTriggers),
)
async def put_chaos(request: Request) -> dict[str, Any]:
    """Set the Chaos triggers and return them; triggers left out are reset to 0%."""
    chaos = _enabled(request)
    chaos.set_triggers(triggers_from_json(await _json(request)))
    return chaos.triggers.as_json()


@router.get("/chaos/rules", summary="Get pochta's chaos rules", response_model=None)
def get_rules(request: Request) -> dict[str, Any]:
    """Return pochta's deterministic rules and the seed in use (to replay a run)."""
    chaos = _enabled(request)
    return chaos.rules.as_json()


@router.put("/chaos/rules", summary="Set pochta's chaos rules", response_model=None)
async def put_rules(request: Request) -> dict[str, Any]:
    """Replace every rule (``{"seed": 7, "rules": [...]}``) and return them with the seed."""
    chaos = _enabled(request)
    chaos.set_rules(parse_rules(await _json(request)))
    return chaos.rules.as_json()
