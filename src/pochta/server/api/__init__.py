"""The JSON API: Mailpit's v1 routes and shapes, live events, and the guard in front.

Route modules hold routes only and import what they share from
:mod:`~pochta.server.api.dependency` (the store, path parameters, bodies,
searches), never from one another:

- :mod:`~pochta.server.api.message`, :mod:`~pochta.server.api.search`,
  :mod:`~pochta.server.api.tag`, :mod:`~pochta.server.api.send`,
  :mod:`~pochta.server.api.view`, :mod:`~pochta.server.api.wait`,
  :mod:`~pochta.server.api.info`, :mod:`~pochta.server.api.health`: the routes;
- :mod:`~pochta.server.api.event`: ``/api/events``, the WebSocket of live changes;
- :mod:`~pochta.server.api.shape`: store records into Mailpit's JSON;
- :mod:`~pochta.server.api.model`: the same shapes as models, for the OpenAPI document;
- :mod:`~pochta.server.api.security`: Host, origin and body-size checks;
- :mod:`~pochta.server.api.error`: one error shape for every answer.
"""

from __future__ import annotations

__all__: list[str] = []
