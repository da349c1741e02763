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

__all__ = ["Settle", "loop_settler", "settler"]

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
    """

    def settle(value: Any, error: BaseException | None) -> None:
        if error is None and committed is not None:
            committed()
        try:
            loop.call_soon_threadsafe(_resolve, future, value, error)
        except RuntimeError:  # the loop closed while the message was being stored
            logger.debug("event loop closed before message %s was acknowledged", value)

    return settle


def _resolve(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)
