"""POP3 over the store (RFC 1939, CAPA from RFC 2449, STLS from RFC 2595).

=========================================  =====================================================
:mod:`~pochta.server.pop3.server`          ``POP3Server``: listen, hand out sessions, shut down
:mod:`~pochta.server.pop3.session`         the ``asyncio.Protocol`` of one connection: I/O, TLS
:mod:`~pochta.server.pop3.conversation`    one method per command, the state, no I/O
:mod:`~pochta.server.pop3.login`           who may log in (USER/PASS, APOP), and the lock-out
:mod:`~pochta.server.pop3.maildrop`        what a login sees: the ``Maildrop`` contract
:mod:`~pochta.server.pop3.wire`            a stored message as POP3 sends it
:mod:`~pochta.server.pop3.reply`           every reply
:mod:`~pochta.server.pop3.settings`        ``POP3Settings``: logins, TLS, limits
:mod:`~pochta.server.pop3.launch`          ``pochta serve``'s settings into a running server
=========================================  =====================================================
"""
