"""``pochta serve``: the SMTP server, the JSON API and the web inbox in one process.

:mod:`pochta.server.app` runs them (:func:`~pochta.server.app.serve`);
:mod:`pochta.server.routes` holds the one route table
(:func:`~pochta.server.routes.create_app`);
:mod:`pochta.server.smtp.server` receives mail; ``api*.py`` answer HTTP.
"""

from __future__ import annotations

__all__: list[str] = []
