"""``POST /api/v1/message/{ID}/release``: send a stored message on through the relay.

The body is Mailpit's ``{"To": ["a@example.com", ...]}`` (the key in any
case). Each address must parse, match ``allowed-recipients`` and miss
``blocked-recipients`` of ``--smtp-relay-config``, or nothing is sent (400,
with Mailpit's words). The message goes out as :func:`prepare_release`
makes it (no ``Bcc``, a fresh ``Date`` and ``Message-ID``); the answer is
``ok`` (text) once the upstream has accepted it, or 400 ``SMTP error: ...``
with the upstream's reply. Where Mailpit differs, pochta does the sensible
thing: without a relay the answer is a 400 that says how to configure one
(Mailpit dials ``:0``), ``latest`` works as its swagger promises, and the
recipients are the parsed bare addresses (Mailpit sends the strings as given).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse

from pochta.exceptions import ConfigurationError, RelayError
from pochta.server.api.dependency import FeaturesDep, MessageID, StoreDep, resolve
from pochta.server.api.model import ERRORS
from pochta.server.relay.client import send_upstream
from pochta.server.relay.config import RelayConfig, bare_address
from pochta.server.relay.rewrite import prepare_release

__all__ = ["parse_release_body", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["message"])

_BODY_SCHEMA = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["To"],
                    "properties": {
                        "To": {
                            "description": "Array of email addresses to relay the message to",
                            "type": "array",
                            "items": {"type": "string"},
                            "example": ["user1@example.com", "user2@example.com"],
                        }
                    },
                }
            }
        }
    }
}


async def _body(request: Request) -> bytes:
    return await request.body()


def parse_release_body(raw: bytes) -> list[str]:
    """Return the ``To`` strings of a release body, or raise HTTPException(400)."""
    if not raw.strip():
        raise HTTPException(400, 'the request body is empty; send {"To": ["user@example.com"]}')
    try:
        body: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise HTTPException(400, f"the request body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise HTTPException(400, 'the request body must be an object: {"To": [...]}')
    to: Any = next((value for key, value in body.items() if key.lower() == "to"), [])
    if to is None:
        to = []
    if not isinstance(to, list) or not all(isinstance(item, str) for item in to):
        raise HTTPException(400, 'To must be an array of addresses: {"To": ["a@example.com"]}')
    return to


def _checked(relay: RelayConfig, to: list[str]) -> list[str]:
    addresses: list[str] = []
    refused: dict[str, list[str]] = {"allowlist": [], "blocklist": []}
    for text in to:
        try:
            address = bare_address(text, what="address")
        except ConfigurationError:
            raise HTTPException(400, f"Invalid email address: {text}") from None
        why = relay.refuses(address)
        if why:
            refused[why].append(text)
        addresses.append(address)
    for why, wording in (
        ("allowlist", "do not match the allowlist"),
        ("blocklist", "found on blocklist"),
    ):
        if refused[why]:
            count = len(refused[why])
            noun = "Address" if count == 1 else "Addresses"
            raise HTTPException(
                400, f"Failed: {count} {noun} {wording}: {', '.join(refused[why])}"
            )
    if not addresses:
        raise HTTPException(400, "No valid addresses found")
    return addresses


@router.post(
    "/message/{ID}/release",
    summary="Release message",
    description="Release a message via a pre-configured external SMTP server. This is only "
    "enabled if message relaying has been configured.\n\nThe ID can be set to `latest` to "
    "reference the latest message.",
    response_class=PlainTextResponse,
    openapi_extra=_BODY_SCHEMA,
    responses={200: {"content": {"text/plain": {"example": "ok"}}}, **ERRORS},
)
def release(
    id: MessageID,
    store: StoreDep,
    features: FeaturesDep,
    raw_body: Annotated[bytes, Depends(_body)],
) -> str:
    """Send the message to the ``To`` addresses through the relay; answer ``ok``."""
    message_id = resolve(store, id)
    raw = store.raw(message_id)
    relay = features.relay
    if relay is None:
        raise HTTPException(
            400,
            "message relaying is not configured; start pochta serve with "
            "--smtp-relay-config FILE (a YAML file with host: and port:)",
        )
    addresses = _checked(relay, parse_release_body(raw_body))
    sender, data = prepare_release(raw, relay)
    try:
        refused = send_upstream(relay.upstream, sender, addresses, data)
    except RelayError as error:
        logger.warning("release of %s failed: %s", message_id, error)
        raise HTTPException(400, f"SMTP error: {error}") from None
    sent = len(addresses) - len(refused)
    logger.info("released %s to %d recipient(s) via %s", message_id, sent, relay.upstream.address)
    return "ok"
