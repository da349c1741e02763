"""A small thread-safe cache of the most recently used values, by key."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

__all__ = ["Recent"]

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Keep the ``size`` most recently used values; compute missing ones with ``make``."""

    def __init__(self, size: int) -> None:
        """Start empty, holding at most ``size`` values."""
        self._size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        """Return the value for ``key``, computing it (outside the lock) when absent."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def forget(self, keys: Iterable[K]) -> None:
        """Drop the values of ``keys`` (those not cached are ignored)."""
        with self._lock:
            for key in keys:
                self._values.pop(key, None)

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._values.clear()
