"""The check tabs of a message in the inbox: links, HTML support, spam score.

Each tab is a view of ``/message/{ID}/{view}`` like the others, so a check
runs only when its tab is opened (and the link and spam checks keep their
answers, :mod:`pochta.server.check`). The page routes run on FastAPI's
thread pool; the link and spam checks are async, so they are run on the
event loop from there.
"""

from __future__ import annotations

from typing import Any

import anyio.from_thread
from fastapi import Request

from pochta.server.check import Checks, get_checks
from pochta.server.check.html import check_html
from pochta.store import ParsedMessage, Store

__all__ = ["CHECK_VIEWS", "check_context", "check_views", "spam_label"]

#: The check views, in tab order ("spam" only with ``--enable-spamassassin``).
CHECK_VIEWS = ("link-check", "html-check", "spam")


def check_views(request: Request) -> tuple[str, ...]:
    """Return the check tabs this server offers."""
    spam = get_checks(request).spam is not None
    return tuple(view for view in CHECK_VIEWS if view != "spam" or spam)


def spam_label(checks: Checks, message_id: str) -> str:
    """Return the Spam tab's label: with the score once the message was checked."""
    known = checks.spam.known(message_id) if checks.spam is not None else None
    return "Spam" if known is None else f"Spam ({known.score:g})"


def check_context(
    request: Request, view: str, message_id: str, parsed: ParsedMessage, store: Store
) -> dict[str, Any]:
    """Run the check of ``view`` and return what its template shows."""
    checks = get_checks(request)
    if view == "link-check":
        follow = request.query_params.get("follow") in ("1", "true")
        result = anyio.from_thread.run(_links, checks, parsed.links, follow)
        return {"check": result, "follow": follow}
    if view == "html-check":
        return {"check": check_html(parsed.html) if parsed.html else None}
    if view == "spam" and checks.spam is not None:
        spam = checks.spam
        result = anyio.from_thread.run(spam.check, message_id, store.raw(message_id))
        return {"check": result.json()}
    return {"check": None}


async def _links(checks: Checks, links: tuple[str, ...], follow: bool) -> Any:
    return await checks.links.check(links, follow=follow)
