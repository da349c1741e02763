"""pochta's testing toolkit: the pytest plugin, the Mailbox client and a catcher to start.

::

    from pochta.testing import Mailbox, PochtaServer

    with PochtaServer.start() as server:
        ...  # send mail to server.smtp_host, server.smtp_port
        message = server.mailbox.wait_for(subject="Welcome")

See docs/testing.md.
"""

from __future__ import annotations

from pochta.testing.mailbox import Mailbox, PrivateMailbox
from pochta.testing.message import Attachment, Message
from pochta.testing.outbox import captured_mail
from pochta.testing.server import PochtaServer

__all__ = ["Attachment", "Mailbox", "Message", "PochtaServer", "PrivateMailbox", "captured_mail"]
