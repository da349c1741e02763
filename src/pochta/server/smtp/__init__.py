"""pochta's SMTP server: our own asyncio protocol, one short module per concern.

- :mod:`~pochta.server.smtp.server`: listen, hand each connection a session, shut down;
- :mod:`~pochta.server.smtp.session`: the :class:`asyncio.Protocol` of one connection
  (I/O, storing, TLS);
- :mod:`~pochta.server.smtp.conversation`: the verbs and their replies, without I/O;
- :mod:`~pochta.server.smtp.framing`: bytes into command lines and message bodies;
- :mod:`~pochta.server.smtp.command`: HELO, MAIL and RCPT arguments;
- :mod:`~pochta.server.smtp.auth`: PLAIN, LOGIN and who may log in;
- :mod:`~pochta.server.smtp.reply`: every reply as a named constant;
- :mod:`~pochta.server.smtp.settings`: every limit, and the ``Deliver`` contract;
- :mod:`~pochta.server.smtp.delivery`: ``pochta serve``'s settings turned into a
  running server that delivers to the store.
"""

from __future__ import annotations

__all__: list[str] = []
