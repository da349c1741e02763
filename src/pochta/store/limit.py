"""How much a store keeps: the newest N messages, messages younger than an age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pochta.exceptions import ConfigurationError

__all__ = ["Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """``max_messages`` keeps the newest N (0: no limit); ``max_age`` deletes older ones.

    A store applies both after each group of inserts and on ``prune()``.
    Values that make no sense raise ConfigurationError here, before a store
    is opened.
    """

    max_messages: int = 0
    max_age: timedelta | None = None

    def __post_init__(self) -> None:
        if self.max_messages < 0:
            raise ConfigurationError(
                f"max_messages {self.max_messages} is negative; give 0 (no limit) or more"
            )
        if self.max_age is not None and self.max_age <= timedelta(0):
            raise ConfigurationError(
                f"max_age {self.max_age} would delete every message; give a positive age or None"
            )

    @property
    def active(self) -> bool:
        """Return True when any limit is set (pruning has something to do)."""
        return self.max_messages > 0 or self.max_age is not None
