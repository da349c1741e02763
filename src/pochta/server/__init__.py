"""``pochta serve``: the SMTP server, the JSON API and the web inbox in one process.

:mod:`pochta.server.app` runs them (:func:`~pochta.server.app.serve`) and holds
the one route table (:func:`~pochta.server.app.create_app`);
:mod:`pochta.server.smtp.server` receives mail; ``api*.py`` answer HTTP.
"""

from __future__ import annotations

__all__: list[str] = []
