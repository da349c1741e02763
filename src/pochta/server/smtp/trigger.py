"""Mailpit's chaos triggers: an error code and a probability for MAIL, RCPT and AUTH.

The same names, defaults, string format and JSON shape as Mailpit
(``--chaos-triggers Sender:451:50,Recipient:451:50``; ``GET``/``PUT
/api/v1/chaos``), so its documentation and clients apply. pochta's own,
deterministic rules are in :mod:`pochta.server.smtp.chaos`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from pochta.exceptions import ConfigurationError

__all__ = ["Trigger", "Triggers", "parse_triggers", "triggers_from_json"]

# Mailpit's pattern, with its key class "[a-zA-Z0-0]" read as meant: letters.
_ITEM = re.compile(r"^([a-zA-Z0]+):(\d\d\d):(\d+(\.\d)?)$")
_KEYS = {
    "sender": "sender",
    "recipient": "recipient",
    "recipients": "recipient",
    "auth": "authentication",
    "authentication": "authentication",
}
_JSON_KEYS = (
    ("Sender", "sender"),
    ("Recipient", "recipient"),
    ("Authentication", "authentication"),
)


@dataclass(frozen=True, slots=True)
class Trigger:
    """Answer ``error_code`` to a command with a chance of ``probability`` percent."""

    error_code: int
    probability: int = 0

    def __post_init__(self) -> None:
        if not 400 <= self.error_code <= 599:
            raise ConfigurationError("error code must be between 400 and 599")
        if not 0 <= self.probability <= 100:
            raise ConfigurationError("probability must be between 0 and 100")

    def as_json(self) -> dict[str, int]:
        """Return Mailpit's ``ChaosTrigger``: ``{"ErrorCode": 451, "Probability": 5}``."""
        return {"ErrorCode": self.error_code, "Probability": self.probability}


@dataclass(frozen=True, slots=True)
class Triggers:
    """Mailpit's three triggers; each fires at its command, never by default."""

    sender: Trigger = Trigger(451)
    recipient: Trigger = Trigger(451)
    authentication: Trigger = Trigger(535)

    def as_json(self) -> dict[str, dict[str, int]]:
        """Return Mailpit's ``ChaosTriggers``, in its wire order."""
        return {key: getattr(self, name).as_json() for key, name in _JSON_KEYS}


def parse_triggers(text: str) -> Triggers:
    """Read Mailpit's ``--chaos-triggers`` text: ``Sender:451:50,Recipient:451:50``.

    Raises :class:`ConfigurationError` with Mailpit's messages (``invalid
    argument: x``, ``unknown key foo``, ...).
    """
    triggers = Triggers()
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        match = _ITEM.match(item)
        if match is None:
            raise ConfigurationError(f"invalid argument: {item}")
        key = _KEYS.get(match[1].lower())
        if key is None:
            raise ConfigurationError(f"unknown key {match[1].lower()}")
        if match[4]:
            raise ConfigurationError(f'strconv.Atoi: parsing "{match[3]}": invalid syntax')
        trigger = Trigger(int(match[2]), int(match[3]))
        triggers = replace(triggers, **{key: trigger})
    return triggers


def triggers_from_json(body: Any) -> Triggers:
    """Read a ``PUT /api/v1/chaos`` body; an omitted trigger, or ``ErrorCode`` 0, is reset.

    Raises :class:`ConfigurationError` for a body that is not Mailpit's shape.
    """
    if not isinstance(body, dict):
        raise ConfigurationError('the body must be a JSON object such as {"Sender": {...}}')
    defaults = Triggers()
    chosen: dict[str, Trigger] = {}
    for key, name in _JSON_KEYS:
        given = body.get(key)
        if given is None:
            continue
        if not isinstance(given, dict):
            raise ConfigurationError(f"{key} must be an object with ErrorCode and Probability")
        code, chance = given.get("ErrorCode", 0), given.get("Probability", 0)
        if not isinstance(code, int) or not isinstance(chance, int) or isinstance(code, bool):
            raise ConfigurationError(f"{key}: ErrorCode and Probability must be whole numbers")
        if code != 0:  # Mailpit: ErrorCode 0 resets the trigger, whatever its Probability
            chosen[name] = Trigger(code, chance)
    return replace(defaults, **chosen)
