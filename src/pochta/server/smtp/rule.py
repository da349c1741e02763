"""pochta's chaos rules as data: reading them from JSON (a file or the API) and back.

What each field means is told in :mod:`pochta.server.smtp.chaos`. Every
mistake raises :class:`~pochta.exceptions.ConfigurationError` naming the
rule and the fix, and nothing of a bad document is applied.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from pochta.exceptions import ConfigurationError

__all__ = ["MAX_DELAY", "Rule", "Rules", "Stage", "load_rules", "parse_rules"]

Stage = Literal["connect", "mail", "rcpt", "auth", "data", "any"]
_STAGES = ("connect", "mail", "rcpt", "auth", "data", "any")
_FIELDS = {"stage", "sender", "recipient", "every", "probability", "reply", "delay", "close"}
_REPLY = re.compile(r"^[45]\d\d(?: [\x20-\x7e]*)?$")

MAX_DELAY = 600.0
"""Longest delay a rule may ask for, in seconds (past it a client has given up anyway)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: where it applies, what it matches, and what it does."""

    stage: Stage
    sender: str | None = None
    recipient: str | None = None
    every: int = 1
    probability: int = 100
    reply: bytes | None = None
    delay: float = 0.0
    close: bool = False

    def as_json(self) -> dict[str, Any]:
        """Return the rule as the file and the API write it (defaults left out)."""
        document: dict[str, Any] = {"stage": self.stage}
        for name in ("sender", "recipient"):
            if getattr(self, name) is not None:
                document[name] = getattr(self, name)
        if self.every != 1:
            document["every"] = self.every
        if self.probability != 100:
            document["probability"] = self.probability
        if self.reply is not None:
            document["reply"] = self.reply.decode("ascii").rstrip("\r\n")
        if self.delay:
            document["delay"] = self.delay
        if self.close:
            document["close"] = True
        return document


@dataclass(frozen=True, slots=True)
class Rules:
    """The rules in order, and the seed of their draws (None: choose one)."""

    seed: int | None = None
    rules: tuple[Rule, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Return ``{"seed": ..., "rules": [...]}``."""
        return {"seed": self.seed, "rules": [rule.as_json() for rule in self.rules]}


def _number(where: str, value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigurationError(
            f"{where}: {name} {value!r} must be a number from {low:g} to {high:g}"
        )
    return float(value)


def _pattern(where: str, value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or "\n" in value:
        raise ConfigurationError(
            f"{where}: {name} {value!r} must be an address pattern like fail@*"
        )
    return value.lower()


def _reply(where: str, value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _REPLY.match(value):
        raise ConfigurationError(
            f"{where}: reply {value!r} must be an SMTP error on one line, e.g. "
            '"451 4.7.1 Try again later" (4xx or 5xx)'
        )
    return (value + "\r\n").encode("ascii")


def _stage(where: str, item: dict[str, Any]) -> Stage:
    stage = item.get("stage")
    if stage is None:
        stage = "rcpt" if "recipient" in item else "mail" if "sender" in item else "any"
    if stage not in _STAGES:
        raise ConfigurationError(f"{where}: stage {stage!r} is not one of {', '.join(_STAGES)}")
    return cast(Stage, stage)


def _rule(index: int, item: Any) -> Rule:
    where = f"chaos rule {index + 1}"
    if not isinstance(item, dict):
        raise ConfigurationError(f'{where} must be a JSON object such as {{"delay": 1}}')
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown field {unknown[0]!r}; use {', '.join(sorted(_FIELDS))}"
        )
    stage = _stage(where, item)
    close = item.get("close", False)
    if not isinstance(close, bool):
        raise ConfigurationError(f"{where}: close must be true or false")
    rule = Rule(
        stage=stage,
        sender=_pattern(where, item.get("sender"), "sender"),
        recipient=_pattern(where, item.get("recipient"), "recipient"),
        every=int(_number(where, item.get("every", 1), "every", 1, 1_000_000)),
        probability=int(_number(where, item.get("probability", 100), "probability", 0, 100)),
        reply=_reply(where, item.get("reply")),
        delay=_number(where, item.get("delay", 0), "delay", 0, MAX_DELAY),
        close=close,
    )
    if rule.reply is None and not rule.close and not rule.delay:
        raise ConfigurationError(f"{where} does nothing; give a reply, a delay or close")
    if rule.stage == "any" and (rule.reply is not None or rule.close):
        raise ConfigurationError(
            f"{where}: a reply or close needs a stage (mail, rcpt, data...); 'any' only delays"
        )
    if rule.reply is not None and rule.close:
        raise ConfigurationError(f"{where}: give a reply or close, not both")
    return rule


def parse_rules(document: Any) -> Rules:
    """Read ``{"seed": 7, "rules": [...]}`` (a bare list of rules works too)."""
    if isinstance(document, list):
        document = {"rules": document}
    if not isinstance(document, dict):
        raise ConfigurationError('chaos rules must be a JSON object: {"seed": 7, "rules": [...]}')
    unknown = sorted(set(document) - {"seed", "rules"})
    if unknown:
        raise ConfigurationError(f"chaos rules: unknown field {unknown[0]!r}; use seed and rules")
    seed = document.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ConfigurationError(f"chaos rules: seed {seed!r} must be a whole number")
    items = document.get("rules", [])
    if not isinstance(items, list):
        raise ConfigurationError("chaos rules: rules must be a list")
    return Rules(seed=seed, rules=tuple(_rule(i, item) for i, item in enumerate(items)))


def load_rules(path: Path) -> Rules:
    """Read the rules file ``path`` (``--chaos-rules FILE``)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            f"--chaos-rules {path}: cannot read it ({error}); give a JSON file"
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"--chaos-rules {path} is not JSON: {error}") from None
    try:
        return parse_rules(document)
    except ConfigurationError as error:
        raise ConfigurationError(f"--chaos-rules {path}: {error}") from None
