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
    """Keep the ``size`` most recently used values; compute missing ones with ``make``.

    One key is computed by one thread at a time: others asking for it
    meanwhile wait for that value instead of computing it again (two parses
    of one large message at once held it twice; issue 11).
    """

    def __init__(self, size: int) -> None:
        """Start empty, holding at most ``size`` values."""
        self._size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[K, threading.Lock] = {}

    def get(self, key: K, make: Callable[[], V]) -> V:
        """Return the value for ``key``, computing it (outside the lock) when absent."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._values:  # made by the thread this one waited for
                    self._values.move_to_end(key)
                    return self._values[key]
            try:
                value = make()
            except BaseException:
                with self._lock:
                    self._done(key, making)
                raise
            with self._lock:
                self._values[key] = value
                self._done(key, making)
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
        return value

    def _done(self, key: K, making: threading.Lock) -> None:
        """Forget that ``key`` is being made (with the lock held)."""
        if self._making.get(key) is making:
            del self._making[key]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key`` (made elsewhere), as the most recently used."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._size:
                self._values.popitem(last=False)

    def forget(self, keys: Iterable[K]) -> None:
        """Drop the values of ``keys`` (those not cached are ignored)."""
        with self._lock:
            for key in keys:
                self._values.pop(key, None)

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._values.clear()
