"""How a store's writer thread tells a caller how its job ended: a :data:`Settle`.

The writer calls ``settle(result, None)`` or ``settle(None, error)`` once,
on its own thread, after the commit. :func:`settler` completes a
``concurrent.futures.Future`` that a thread waits on (``add``, every
change); :func:`loop_settler` resolves an ``asyncio.Future`` on its event
loop (``aadd``). Both stores' writers use them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["Settle", "loop_settler", "settle_all", "settle_logged", "settler"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

Settle = Callable[[Any, BaseException | None], None]
"""How a caller hears how its job ended: ``settle(result, None)`` or ``settle(None, error)``."""


def settler(future: Future[T]) -> Settle:
    """Return the :data:`Settle` that completes ``future`` (for callers that wait)."""

    def settle(value: Any, error: BaseException | None) -> None:
        if future.set_running_or_notify_cancel():
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)

    return settle


def loop_settler(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    *,
    committed: Callable[[], object] | None = None,
) -> Settle:
    """Return the :data:`Settle` that resolves ``future`` on ``loop`` (for ``aadd``).

    ``committed`` is called first, on the writer thread, when the job
    succeeded (the SQLite store wakes its indexer so). A loop closed in the
    meantime is logged, not raised: the message is stored all the same.
    :func:`settle_all` answers a whole group of them with one wake-up of the loop.
    """
    return _LoopSettle(loop, future, committed)


class _LoopSettle:
    __slots__ = ("committed", "future", "loop")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
        committed: Callable[[], object] | None,
    ) -> None:
        self.loop = loop
        self.future = future
        self.committed = committed

    def __call__(self, value: Any, error: BaseException | None) -> None:
        if error is None and self.committed is not None:
            self.committed()
        _call_soon(self.loop, _resolve_all, [(self.future, value, error)])


def settle_all(
    outcomes: list[tuple[Settle, Any, BaseException | None]],
    *,
    here: asyncio.AbstractEventLoop | None = None,
) -> None:
    """Call each ``settle(value, error)``; those of one event loop with one wake-up of it.

    A group's callers on one loop (its SMTP sessions) are resolved by one
    callback there, and their ``committed`` hook runs once for them, instead
    of the loop being woken, and the hook called, for every message. ``here``
    is the loop the caller runs on, if it does: its callers are resolved at once.
    """
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, Any]]] = {}
    hooks: list[Callable[[], object]] = []
    for settle, value, error in outcomes:
        if not isinstance(settle, _LoopSettle):
            settle_logged(settle, value, error)
            continue
        if error is None and settle.committed is not None and settle.committed not in hooks:
            hooks.append(settle.committed)
        by_loop.setdefault(settle.loop, []).append((settle.future, value, error))
    for hook in hooks:
        _call_logged(hook)
    for loop, items in by_loop.items():
        if loop is here:
            _resolve_all(items)
        else:
            _call_soon(loop, _resolve_all, items)


def _call_soon(loop: asyncio.AbstractEventLoop, *call: Any) -> None:
    try:
        loop.call_soon_threadsafe(*call)
    except RuntimeError:  # the loop closed while the message was being stored
        logger.debug("event loop closed before a message was acknowledged")


def settle_logged(settle: Settle, value: Any, error: BaseException | None) -> None:
    """Call ``settle(value, error)``; a callback that raises is logged, not raised."""
    try:
        settle(value, error)
    except Exception:
        logger.exception("a store caller could not be told the outcome")


def _call_logged(hook: Callable[[], object]) -> None:
    try:
        hook()
    except Exception:
        logger.exception("a store's after-commit hook failed")


def _resolve_all(items: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, value, error in items:
        _resolve(future, value, error)


def _resolve(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)
