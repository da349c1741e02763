"""The HTML body of a message, made safe to show: the document and the policy it is served with.

A captured message is written by whoever sent it, so its HTML is treated as
hostile. It is never put into an inbox page; it is served alone, from its own
URL, into ``<iframe sandbox="allow-popups allow-popups-to-escape-sandbox">``
(no ``allow-scripts``, no ``allow-same-origin``), and that answer carries a
Content-Security-Policy that sandboxes it again, so the same holds when the
URL is opened directly:

* ``sandbox allow-popups allow-popups-to-escape-sandbox``: no script, no form,
  no plugin, no top navigation, an opaque origin that can read nothing;
* ``default-src 'none'``: no fetch, frame, media or stylesheet from anywhere;
* ``img-src data:`` plus this message's own part route, so ``cid:`` images
  (rewritten here to part URLs) show and nothing else loads; with
  ``remote=True`` (the reader clicked "Show remote images") ``http:`` and
  ``https:`` images load too;
* ``style-src 'unsafe-inline'`` and ``font-src data:``: the message's own
  inline styles and embedded fonts, nothing remote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

from pochta.store import Part

__all__ = ["frame_document", "frame_policy", "has_remote_images", "part_url"]

_CID = re.compile(r"""cid:([^\s"'<>()\\]+)""", re.IGNORECASE)
# Attributes and CSS that load an image from the network.
_REMOTE = re.compile(
    r"""(?:\b(?:src|srcset|background|poster)\s*=\s*["']?\s*|url\(\s*["']?\s*)(?:https?:)?//""",
    re.IGNORECASE,
)
_DOCTYPE = re.compile(r"\A\s*<!doctype[^>]*>", re.IGNORECASE)
# Links open in a new tab (the frame itself never navigates) and send no referrer.
_HEAD = '<base target="_blank"><meta name="referrer" content="no-referrer">'


def part_url(message_id: str, part_id: str) -> str:
    """Return the path of one part of a message (the API's download route)."""
    return f"/api/v1/message/{quote(message_id)}/part/{quote(part_id)}"


def frame_policy(origin: str, message_id: str, *, remote: bool = False) -> str:
    """Return the CSP of a message's HTML body served from ``origin`` (``http://host:port``)."""
    images = ["data:"]
    if origin.startswith("http") and "[" not in origin:
        # CSP host sources cannot name IPv6 literals; there, cid: images do not show.
        images.append(f"{origin}/api/v1/message/{quote(message_id)}/part/")
    if remote:
        images += ["https:", "http:"]
    return (
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
        f"style-src 'unsafe-inline'; img-src {' '.join(images)}; font-src data:; "
        "form-action 'none'; base-uri 'none'"
    )


def _content_ids(parts: Iterable[Part]) -> dict[str, str]:
    return {p.content_id.strip("<> ").lower(): p.part_id for p in parts if p.content_id}


def frame_document(html: str, message_id: str, parts: Iterable[Part]) -> str:
    """Return ``html`` with ``cid:`` references pointing at this message's parts.

    A ``cid:`` that names no part of the message is left as it is (it loads
    nothing). A ``<base target="_blank">`` and a no-referrer ``<meta>`` go
    first, after any doctype, so links open in a new tab.
    """
    ids = _content_ids(parts)

    def replace(match: re.Match[str]) -> str:
        part_id = ids.get(unquote(match.group(1)).strip("<>").lower())
        return part_url(message_id, part_id) if part_id else match.group(0)

    html = _CID.sub(replace, html)
    doctype = _DOCTYPE.match(html)
    cut = doctype.end() if doctype else 0
    return html[:cut] + _HEAD + html[cut:]


def has_remote_images(html: str) -> bool:
    """Tell whether ``html`` would load an image from the network if allowed."""
    return _REMOTE.search(html) is not None
