"""Sending captured mail on: the relay and forward configuration, the SMTP client, the rewrites.

* :mod:`pochta.server.relay.config`: Mailpit's relay and forward YAML files.
* :mod:`pochta.server.relay.client`: one message through an upstream SMTP server.
* :mod:`pochta.server.relay.rewrite`: the header changes of a released message.

Nothing is sent unless ``--smtp-relay-config`` or ``--smtp-forward-config``
(or their ``POCHTA_SMTP_*`` variables) name an upstream.
"""
