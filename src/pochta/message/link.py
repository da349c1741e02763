"""Read the visible text and every link out of message bodies.

HTML goes through the standard library's ``html.parser``: ``href`` and ``src``
attributes give links, text outside ``<script>``, ``<style>`` and ``<head>``
gives the reader's text, and URLs written out in that text count as links too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

__all__ = ["MAX_HTML", "SNIPPET_LENGTH", "find_links", "html_text", "read_bodies", "snippet"]

SNIPPET_LENGTH = 250
# html.parser reads about 1 MB/s; beyond this much HTML, text and links come from the start.
MAX_HTML = 512 * 1024

_URL = re.compile(r"""(?:https?://|mailto:)[^\s<>"'`]+""", re.I)
_SCHEME = re.compile(r"(?:https?://|mailto:)", re.I)
_TRAILING = ".,;:!?)]}>*'\""
_HIDDEN = frozenset({"script", "style", "head", "title"})
_BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table"})


class _Reader(HTMLParser):
    """Collect text and linked URLs from one HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.urls: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BREAKS:
            self.text.append("\n")
        for name, value in attrs:
            if name in ("href", "src") and value and _SCHEME.match(value.strip()):
                self.urls.append(value.strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1
        elif tag in _BREAKS:
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def _read_html(html: str) -> _Reader:
    reader = _Reader()
    try:
        reader.feed(html[:MAX_HTML])
        reader.close()
    except Exception:  # html.parser is lenient; keep what was read if it ever gives up
        pass
    return reader


def read_bodies(text: str, html: str) -> tuple[str, tuple[str, ...]]:
    """Return the snippet and the links of a message's bodies, reading the HTML once.

    The snippet is the first ``SNIPPET_LENGTH`` characters of the text (of the
    HTML's visible text when there is no text), whitespace collapsed. Links
    are every http(s) and mailto URL in the text, in the HTML's ``href`` and
    ``src`` attributes and in its visible text, de-duplicated, in order.
    """
    reader = _read_html(html) if html else _Reader()
    visible = "".join(reader.text)
    source = text if text.strip() else visible
    # Collapsing a whole large body would be wasted work for 250 characters.
    snippet = " ".join(source[: SNIPPET_LENGTH * 64].split())[:SNIPPET_LENGTH]
    found = [*_urls_in(text), *reader.urls, *_urls_in(visible)]
    links = tuple(dict.fromkeys(url for url in found if not _SCHEME.fullmatch(url)))
    return snippet, links


def _urls_in(text: str) -> Iterable[str]:
    for match in _URL.finditer(text):
        url = match.group(0)
        # Sentence punctuation after a URL is not part of it; a ")" closing a "(" in it is.
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        yield url


def html_text(html: str) -> str:
    """Return the text a reader would see in ``html`` (no markup, scripts or styles)."""
    return "".join(_read_html(html).text)


def find_links(text: str, html: str) -> tuple[str, ...]:
    """Return every http(s) and mailto URL in the bodies, de-duplicated, in order."""
    return read_bodies(text, html)[1]


def snippet(text: str, html: str) -> str:
    """Return the first ``SNIPPET_LENGTH`` characters of the text, whitespace collapsed."""
    return read_bodies(text, html)[0]
