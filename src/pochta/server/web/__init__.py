"""The web inbox: server-rendered pages over the store, with a little plain JavaScript.

:data:`router` holds every page route (see :mod:`pochta.server.web.pages`);
``server/app.py`` adds it to the one route table. Templates and static files
ship inside this package: no build step, no CDN, it works offline.
"""

from __future__ import annotations

from pochta.server.web.pages import router

__all__ = ["router"]
