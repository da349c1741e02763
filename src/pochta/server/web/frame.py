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

The frame's height: the inbox cannot look inside an opaque-origin frame, and
must not (a frame it could measure would be one of its own origin), nor may
a script run inside it (that would need ``allow-scripts``). So the server
reads the HTML once more, as text, for a :class:`FrameHint` (how many
visible characters, line breaks and image pixels it holds) that the page
carries on the ``<iframe>``; the inbox's script turns it into a height for
the frame's width. The frame is sized to the content, up to the height of the
window, beyond which it scrolls inside; the reader can still drag it taller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, unquote

from pochta.store import Part

__all__ = [
    "MEASURED",
    "FrameHint",
    "frame_document",
    "frame_hint",
    "frame_policy",
    "has_remote_images",
    "part_url",
]

_CID = re.compile(r"""cid:([^\s"'<>()\\]+)""", re.IGNORECASE)
# Attributes and CSS that load an image from the network.
_REMOTE = re.compile(
    r"""(?:\b(?:src|srcset|background|poster)\s*=\s*["']?\s*|url\(\s*["']?\s*)(?:https?:)?//""",
    re.IGNORECASE,
)
_DOCTYPE = re.compile(r"\A\s*<!doctype[^>]*>", re.IGNORECASE)
# Links open in a new tab (the frame itself never navigates) and send no referrer.
_HEAD = '<base target="_blank"><meta name="referrer" content="no-referrer">'


def part_url(message_id: str, part_id: str, root: str = "") -> str:
    """Return the path of one part of a message (the API's download route, under ``root``)."""
    return f"{root}/api/v1/message/{quote(message_id)}/part/{quote(part_id)}"


def frame_policy(origin: str, message_id: str, *, remote: bool = False, root: str = "") -> str:
    """Return the CSP of a message's HTML body served from ``origin`` (``http://host:port``).

    ``root`` is the ``--webroot`` prefix (``/mail``), or ``""``.
    """
    images = ["data:"]
    if origin.startswith("http") and "[" not in origin:
        # CSP host sources cannot name IPv6 literals; there, cid: images do not show.
        images.append(f"{origin}{root}/api/v1/message/{quote(message_id)}/part/")
    if remote:
        images += ["https:", "http:"]
    return (
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
        f"style-src 'unsafe-inline'; img-src {' '.join(images)}; font-src data:; "
        "form-action 'none'; base-uri 'none'"
    )


def _content_ids(parts: Iterable[Part]) -> dict[str, str]:
    return {p.content_id.strip("<> ").lower(): p.part_id for p in parts if p.content_id}


def frame_document(html: str, message_id: str, parts: Iterable[Part], *, root: str = "") -> str:
    """Return ``html`` with ``cid:`` references pointing at this message's parts.

    A ``cid:`` that names no part of the message is left as it is (it loads
    nothing). A ``<base target="_blank">`` and a no-referrer ``<meta>`` go
    first, after any doctype, so links open in a new tab.
    """
    ids = _content_ids(parts)

    def replace(match: re.Match[str]) -> str:
        part_id = ids.get(unquote(match.group(1)).strip("<>").lower())
        return part_url(message_id, part_id, root) if part_id else match.group(0)

    html = _CID.sub(replace, html)
    doctype = _DOCTYPE.match(html)
    cut = doctype.end() if doctype else 0
    return html[:cut] + _HEAD + html[cut:]


def has_remote_images(html: str) -> bool:
    """Tell whether ``html`` would load an image from the network if allowed."""
    return _REMOTE.search(html) is not None


#: Characters of HTML read for a hint; past them a message is taller than any window.
MEASURED = 200_000
# Elements that start a line (or a row) of their own, and those shown not at all.
_BREAKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    ]
)
_UNSHOWN = frozenset({"head", "script", "style", "template", "title", "noscript"})
_MOST_IMAGE = 2000  # pixels one image may add to the hint
_UNSIZED_IMAGE = 120  # an image without height=: a logo or a banner, as most are


@dataclass(frozen=True, slots=True)
class FrameHint:
    """What a message's HTML holds, for sizing its frame without looking inside it."""

    chars: int
    """Visible characters (runs of white space count as one)."""
    breaks: int
    """Lines and rows its block elements start."""
    pixels: int
    """Heights the HTML gives its images (``height=``, each at most 2000; 120 when none)."""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chars = self.breaks = self.pixels = 0
        self._unshown = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _UNSHOWN:
            self._unshown += 1
        elif tag in _BREAKS:
            self.breaks += 1
        elif tag == "img":
            height = dict(attrs).get("height") or ""
            digits = re.match(r"\s*(\d{1,5})", height)
            self.pixels += min(int(digits.group(1)), _MOST_IMAGE) if digits else _UNSIZED_IMAGE

    def handle_endtag(self, tag: str) -> None:
        if tag in _UNSHOWN and self._unshown:
            self._unshown -= 1

    def handle_data(self, data: str) -> None:
        if not self._unshown:
            self.chars += len(" ".join(data.split()))


def frame_hint(html: str) -> FrameHint:
    """Read ``html`` (its first :data:`MEASURED` characters) into a :class:`FrameHint`."""
    reader = _Reader()
    try:
        reader.feed(html[:MEASURED])
        reader.close()
    except Exception:  # html.parser is lenient; be total anyway, with what was read
        pass
    if len(html) > MEASURED:  # the rest: as tall again, at the least
        reader.chars *= 2
    return FrameHint(reader.chars, reader.breaks, reader.pixels)
