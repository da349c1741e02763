"""The keys under which pochta's middlewares note a request's facts in its ASGI scope.

Plain strings in a module of their own, with no FastAPI import: the login
middleware is built while ``pochta serve`` starts, before the API loads
(:mod:`pochta.server.front`); :mod:`pochta.server.api.dependency` reads them.
"""

from __future__ import annotations

__all__ = ["LOGIN_KEY", "MAILBOX_KEY", "WEBROOT_KEY"]

#: Where :class:`~pochta.server.api.mailbox.MailboxPrefix` notes a request's mailbox.
MAILBOX_KEY = "pochta.mailbox"
#: Where :class:`~pochta.server.api.login.Login` notes the inbox login of a request.
LOGIN_KEY = "pochta.login"
#: Where :class:`~pochta.server.api.mailbox.MailboxPrefix` keeps the root before its prefix.
WEBROOT_KEY = "pochta.webroot"
