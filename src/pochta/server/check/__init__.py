"""Mailpit's message checks: links, spam, HTML support, image thumbnails.

:class:`Checks` holds one of each checker for a server, with their shared
limits and caches; ``create_app(store, checks=Checks(...))`` puts it on the
app and the routes of :mod:`pochta.server.api.check` read it through
:data:`ChecksDep`. The modules:

* :mod:`~pochta.server.check.address`: the internal addresses no check may reach;
* :mod:`~pochta.server.check.fetch`: one guarded HTTP request (resolve, check, connect);
* :mod:`~pochta.server.check.link`: the link check, its limits and cache;
* :mod:`~pochta.server.check.spam`: a spamd client over the spamc protocol;
* :mod:`~pochta.server.check.html`: HTML and CSS against the caniemail data;
* :mod:`~pochta.server.check.thumbnail`: bounded, cached JPEG thumbnails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, cast

from fastapi import Depends, Request

from pochta.config import HostPort
from pochta.server.check.link import LinkChecker
from pochta.server.check.spam import SpamAssassin
from pochta.server.check.thumbnail import Thumbnails

__all__ = ["Checks", "ChecksDep", "get_checks", "make_checks"]


@dataclass(frozen=True, slots=True)
class Checks:
    """The checkers of one server; ``spam`` is None without ``--enable-spamassassin``."""

    links: LinkChecker = field(default_factory=LinkChecker)
    thumbnails: Thumbnails = field(default_factory=Thumbnails)
    spam: SpamAssassin | None = None


def make_checks(
    *, spamd: HostPort | None = None, allow_internal: bool = False, verify_tls: bool = True
) -> Checks:
    """Build the checkers ``pochta serve``'s settings ask for."""
    return Checks(
        links=LinkChecker(allow_internal=allow_internal, verify_tls=verify_tls),
        spam=SpamAssassin(spamd) if spamd is not None else None,
    )


def get_checks(request: Request) -> Checks:
    """Return the app's :class:`Checks` (FastAPI dependency)."""
    checks = getattr(request.app.state, "checks", None)
    if checks is None:
        checks = request.app.state.checks = Checks()
    return cast(Checks, checks)


#: A route parameter that receives the app's :class:`Checks`.
ChecksDep = Annotated[Checks, Depends(get_checks)]
