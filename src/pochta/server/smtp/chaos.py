"""Chaos: SMTP failures on purpose, to test how senders retry (``--enable-chaos``).

Two kinds, consulted by the conversation at each command:

* Mailpit's triggers (:mod:`pochta.server.smtp.trigger`): an error code and
  a probability for MAIL, RCPT and AUTH.
* pochta's rules, deterministic where Mailpit's are not (Mailpit refused
  them, axllent/mailpit#676 and #235): match a sender or recipient pattern,
  every Nth match, or a probability drawn from a fixed seed; then answer a
  reply, wait before replying, or close the connection (in the middle of DATA
  at the ``data`` stage). Given as a JSON file (``--chaos-rules FILE``) or
  ``PUT /api/v1/chaos/rules``::

    {"seed": 7, "rules": [
        {"recipient": "fail@*", "reply": "550 5.1.1 No such user"},
        {"recipient": "slow@*", "delay": 5},
        {"stage": "rcpt", "probability": 30, "reply": "451 4.7.1 Try again later"},
        {"stage": "data", "probability": 5, "close": true},
        {"stage": "data", "every": 10, "reply": "452 4.3.1 Full, come back later"},
        {"delay": 0.2}
    ]}

A rule's ``stage`` is ``connect`` (the greeting), ``mail``, ``rcpt``,
``auth``, ``data`` (the reply after the message) or ``any`` (every reply;
for a delay only). Without one it is ``rcpt`` when a
recipient is given, ``mail`` when a sender is, else ``any``. The first
rule that fires at a stage decides its reply; the longest delay of those
that fire is waited. Every draw comes from one ``random.Random(seed)``, so
the same seed and the same traffic fail the same way again.
"""

from __future__ import annotations

import fnmatch
import os
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from pochta.server.smtp.rule import Rule, Rules, Stage
from pochta.server.smtp.trigger import Trigger, Triggers

__all__ = ["Action", "Chaos"]


@dataclass(frozen=True, slots=True)
class Action:
    """What chaos does to one reply: replace it, wait before it, or close instead."""

    reply: bytes | None = None
    delay: float = 0.0
    close: bool = False

    def __bool__(self) -> bool:
        return self.reply is not None or self.delay > 0 or self.close


_NOTHING = Action()
_TRIGGER_TEXT = {"sender": "sender", "recipient": "recipient", "authentication": "authentication"}


@dataclass(slots=True)
class Chaos:
    """The chaos of one ``pochta serve``, shared by every session; changed by the API.

    ``enabled`` is fixed at start (Mailpit: ``--enable-chaos``, or any
    triggers or rules given); triggers and rules can be replaced while
    serving. Draws and counters are guarded by one lock, so the API's
    thread and the event loop may both call in.
    """

    enabled: bool = False
    triggers: Triggers = field(default_factory=Triggers)
    rules: Rules = field(default_factory=Rules)
    _random: random.Random = field(default_factory=random.Random, repr=False)
    _counts: dict[int, int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.set_rules(self.rules)

    @property
    def seed(self) -> int:
        """The seed of every draw (the rules' own, or one chosen at random and kept)."""
        assert self.rules.seed is not None
        return self.rules.seed

    def set_rules(self, rules: Rules) -> None:
        """Replace the rules; the draws start again from their seed (a new one if none)."""
        if rules.seed is None:
            rules = Rules(seed=int.from_bytes(os.urandom(4), "big"), rules=rules.rules)
        with self._lock:
            self.rules = rules
            self._random = random.Random(rules.seed)
            self._counts = {}

    def set_triggers(self, triggers: Triggers) -> None:
        """Replace Mailpit's triggers."""
        self.triggers = triggers

    # -- what the conversation asks --------------------------------------------

    def on_connect(self) -> Action:
        """Decide the greeting."""
        return self._decide("connect", "", ())

    def on_mail(self, sender: str) -> Action:
        """Decide the reply to ``MAIL FROM:<sender>``."""
        return self._decide("mail", sender, (), self.triggers.sender, "sender")

    def on_rcpt(self, sender: str, recipient: str) -> Action:
        """Decide the reply to ``RCPT TO:<recipient>``."""
        return self._decide("rcpt", sender, (recipient,), self.triggers.recipient, "recipient")

    def on_auth(self) -> Action:
        """Decide the reply to ``AUTH`` (before the credentials are read)."""
        return self._decide("auth", "", (), self.triggers.authentication, "authentication")

    def on_data(self, sender: str, recipients: Iterable[str]) -> Action:
        """Decide the message's fate when ``DATA`` starts: its final reply, or a close mid-DATA."""
        return self._decide("data", sender, tuple(recipients))

    def on_any(self) -> Action:
        """Decide the delay of any other reply (rules of stage ``any``)."""
        return self._decide("any", "", ())

    def _decide(
        self,
        stage: Stage,
        sender: str,
        recipients: tuple[str, ...],
        trigger: Trigger | None = None,
        name: str = "",
    ) -> Action:
        if not self.enabled:
            return _NOTHING
        with self._lock:
            # Mailpit's triggers first, as Mailpit checks them before anything else.
            if (
                trigger is not None
                and trigger.probability
                and self._random.randrange(100) < trigger.probability
            ):
                text = f"{trigger.error_code} Chaos {_TRIGGER_TEXT[name]} error\r\n"
                return Action(reply=text.encode("ascii"))
            return self._apply_rules(stage, sender, recipients)

    def _apply_rules(self, stage: Stage, sender: str, recipients: tuple[str, ...]) -> Action:
        reply: bytes | None = None
        close = False
        delay = 0.0
        for index, rule in enumerate(self.rules.rules):
            if rule.stage not in (stage, "any"):
                continue
            if not _matches(rule, sender, recipients) or not self._fires(index, rule):
                continue
            delay = max(delay, rule.delay)
            if reply is None and not close:
                reply, close = rule.reply, rule.close
        if reply is None and not close and not delay:
            return _NOTHING
        return Action(reply=reply, delay=delay, close=close)

    def _fires(self, index: int, rule: Rule) -> bool:
        count = self._counts[index] = self._counts.get(index, 0) + 1
        if rule.every > 1 and count % rule.every != 0:
            return False
        return rule.probability >= 100 or self._random.randrange(100) < rule.probability


def _matches(rule: Rule, sender: str, recipients: tuple[str, ...]) -> bool:
    if rule.sender is not None and not fnmatch.fnmatchcase(sender.lower(), rule.sender):
        return False
    if rule.recipient is not None:
        return any(fnmatch.fnmatchcase(r.lower(), rule.recipient) for r in recipients)
    return True
