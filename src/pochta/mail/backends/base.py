"""The base class of every email backend, and what a backend may be given to send."""

from __future__ import annotations

import email.message
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol, Self

__all__ = ["BaseEmailBackend", "SendableMessage"]


class SendableMessage(Protocol):
    """What a backend needs from a message: pochta's, Django's, or your own.

    ``message()`` returns a stdlib message (``email.message.Message`` or its
    ``EmailMessage`` subclass); ``recipients()`` the envelope recipients.
    """

    from_email: str

    def message(self) -> email.message.Message:
        """Return the message as a stdlib email message."""
        ...

    def recipients(self) -> list[str]:
        """Return every envelope recipient address."""
        ...


class BaseEmailBackend:
    """Base class for email backends, with Django's contract.

    Subclasses must at least override :meth:`send_messages`. :meth:`open` and
    :meth:`close` are called around a ``with`` block, so several sends can share
    one connection::

        with get_connection() as connection:
            connection.send_messages(first_batch)
            connection.send_messages(second_batch)
    """

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        self.fail_silently = fail_silently

    def open(self) -> bool | None:
        """Open the connection if the backend has one; return whether it was opened now.

        The default does nothing and returns False.
        """
        return False

    def close(self) -> None:
        """Close the connection, if any. The default does nothing."""

    def __enter__(self) -> Self:
        try:
            self.open()
        except Exception:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        """Send ``email_messages``; return how many were sent."""
        raise NotImplementedError(
            "subclasses of BaseEmailBackend must override send_messages() method"
        )
