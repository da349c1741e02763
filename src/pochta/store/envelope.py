"""What the SMTP conversation said about a message, kept beside its bytes."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Envelope"]


@dataclass(frozen=True, slots=True)
class Envelope:
    """The envelope of one message: who sent it to whom, from where and how.

    Messages that arrive without SMTP (the ``store`` backend, the API, an
    import) carry an envelope made from their headers, with ``source`` saying
    which door they came through.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    client_address: str = ""
    helo: str = ""
    tls: bool = False
    auth_user: str | None = None
    source: str = "smtp"
    mail_options: tuple[str, ...] = field(default=())
