"""Turn store records into HTML: the Jinja2 environment, its filters and the inbox's CSP.

Templates live in ``server/web/templates`` and are autoescaped; nothing a
message holds reaches a page except through escaping (or, for its HTML body,
through the sandboxed frame of :mod:`pochta.server.web.frame`). The pages
carry no inline script or style, so their Content-Security-Policy can forbid
both.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from pochta.store import Address

__all__ = [
    "address_text",
    "environment",
    "human_size",
    "linkify",
    "page_policy",
    "relative_time",
    "tag_search",
    "utc_text",
]

# A URL in plain text; trailing punctuation is cut off as in most mail readers.
_URL = re.compile(r"""\b(?:https?://|mailto:)[^\s<>"'`]+""", re.IGNORECASE)
_TRAILING = ".,;:!?)]}>*'\""


def page_policy(host: str) -> str:
    """Return the Content-Security-Policy of every inbox page served to ``host``."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"frame-src 'self'; connect-src 'self' ws://{host} wss://{host}; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'; object-src 'none'"
    )


def human_size(size: int) -> str:
    """Write a byte count the way a reader skims it: ``812 B``, ``4.1 kB``, ``2.3 MB``."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def utc_text(moment: datetime.datetime | None) -> str:
    """Write ``moment`` exactly, in UTC: ``2026-11-22 00:10:05 UTC`` (empty for None)."""
    if moment is None:
        return ""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def relative_time(moment: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """Write how long ago ``moment`` was: ``just now``, ``5 min ago``, ``3 h ago``, a date."""
    now = now or datetime.datetime.now(datetime.UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)} d ago"
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d")


def address_text(address: Address | None) -> str:
    """Write one mailbox as ``Name <address>``, or the address alone."""
    if address is None:
        return ""
    if address.name and address.name != address.address:
        return f"{address.name} <{address.address}>"
    return address.address


def _names(addresses: Iterable[Address]) -> str:
    return ", ".join(a.name or a.address for a in addresses)


def _addresses(addresses: Iterable[Address]) -> str:
    return ", ".join(address_text(a) for a in addresses)


def tag_search(tag: str) -> str:
    """Return the inbox URL of the search for messages tagged ``tag`` (``/?q=tag:...``)."""
    term = f'tag:"{tag}"' if re.search(r'[\s"]', tag) else f"tag:{tag}"
    return "/?q=" + quote(term, safe=":")


def linkify(text: str) -> Markup:
    """Escape ``text`` and make each http(s) or mailto URL in it a link to a new tab."""
    pieces: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        pieces.append(str(escape(text[last : match.start()])))
        pieces.append(
            f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(url)}</a>'
        )
        last = end
    pieces.append(str(escape(text[last:])))
    return Markup("".join(pieces))


def environment() -> Environment:
    """Return the Jinja2 environment of the inbox's templates, with its filters."""
    env = Environment(
        loader=PackageLoader("pochta.server.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        size=human_size,
        utc=utc_text,
        ago=relative_time,
        address=address_text,
        names=_names,
        addresses=_addresses,
        linkify=linkify,
        tag_search=tag_search,
    )
    return env
