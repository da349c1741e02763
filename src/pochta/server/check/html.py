"""The HTML check: which HTML and CSS features a message uses, scored against caniemail.

``GET /api/v1/message/{ID}/html-check`` answers Mailpit's ``HTMLCheckResponse``
(``Warnings``, ``Platforms``, ``Total``). The message's HTML is read with the
standard library's parser; each feature of the caniemail data set
(:mod:`pochta.server.check.caniemail`) has a rule here: elements and
attributes, ``<img>`` formats, CSS properties and values in ``style``
attributes and ``<style>`` blocks, at-rules, selectors and pseudo-classes.
A feature found that some client does not fully support becomes a warning.

``Total`` weighs each warning by the share of the document's elements it
touches: ``Unsupported`` and ``Partial`` are the largest such shares of the
warnings' percentages, and ``Supported`` is what is left (clamped to 0–100,
unlike Mailpit's). Remote stylesheets are not fetched (Mailpit's fetch of
them was GHSA-6jxm-fv7w-rw5j); a ``<link>`` counts as the ``html-link`` feature.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from pochta.server.api.shape import JSON
from pochta.server.check.caniemail import features, platforms, warning
from pochta.server.check.css import count_css

__all__ = ["MAX_HTML", "check_html", "count_html"]

#: Characters of HTML read; a larger body is checked from its start.
MAX_HTML = 1024 * 1024
_NOT_NODES = frozenset({"html", "head", "meta", "title", "body"})
_ELEMENTS = {
    "html-object": {"object", "embed"},
    "html-strike": {"strike", "s"},
    "html-h1-h6": {"h1", "h2", "h3", "h4", "h5", "h6"},
    "html-lists": {"ul", "ol", "dl"},
    "html-image-maps": {"map"},
    "html-semantics": {
        "article",
        "aside",
        "details",
        "figcaption",
        "figure",
        "footer",
        "header",
        "main",
        "mark",
        "nav",
        "section",
        "summary",
        "time",
    },
}
_ATTRIBUTES: tuple[str, ...] = (
    "align",
    "background",
    "cellpadding",
    "cellspacing",
    "dir",
    "height",
    "hidden",
)
_ATTRIBUTES += ("lang", "required", "role", "srcset", "target", "valign", "width", "popover")
_ATTRIBUTES += ("aria-describedby", "aria-hidden", "aria-label", "aria-labelledby", "aria-live")
_ATTRIBUTE_SLUGS = {"loading": "html-loading-attribute", "inert": "css-inert-attribute"}
_IMAGE_FORMATS = {
    "image-apng": "apng", "image-avif": "avif", "image-bmp": "bmp", "image-gif": "gif",
    "image-hdr": "hdr", "image-heif": "heif|heic", "image-ico": "ico", "image-jpg": "jpe?g",
    "image-mp4": "mp4", "image-png": "png", "image-svg": "svg", "image-tiff": "tiff?",
    "image-webp": "webp",
}  # fmt: skip
_IMAGE_PATTERNS = {
    slug: re.compile(rf"\.(?:{ext})(?:[?#].*)?$", re.I) for slug, ext in _IMAGE_FORMATS.items()
}
_SCRIPT_TYPES = ("application/ld+json", "application/json")


class _Scan(HTMLParser):
    """Count the features of one document as it is read."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: Counter[str] = Counter()
        self.nodes = 0
        self.scripts = 0
        self.styles: list[str] = []
        self.inline: list[str] = []
        self._in_style = False

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith("doctype"):
            self.found["html-doctype"] += 1

    def handle_comment(self, data: str) -> None:
        self.found["html-comments"] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag not in _NOT_NODES:
            self.nodes += 1
        self._element(tag, values)
        self._attributes(tag, values)
        if "style" in values:
            self.inline.append(values["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)

    def _element(self, tag: str, values: dict[str, str]) -> None:
        if tag == "script" and values.get("type", "").lower() not in _SCRIPT_TYPES:
            self.scripts += 1
        for slug, tags in _ELEMENTS.items():
            if tag in tags:
                self.found[slug] += 1
        if f"html-{tag}" in features() and f"html-{tag}" not in _ELEMENTS:
            self.found[f"html-{tag}"] += 1
        if tag == "input" or (tag == "button" and values.get("type")):
            kind = values.get("type", "text").lower()
            prefix = "html-button-" if tag == "button" else "html-input-"
            self.found[prefix + kind] += 1
        if tag == "meta" and values.get("name", "").lower() == "color-scheme":
            self.found["html-meta-color-scheme"] += 1
        if tag == "img" and values.get("src"):
            self._image(values["src"].strip())

    def _attributes(self, tag: str, values: dict[str, str]) -> None:
        for name in _ATTRIBUTES:
            if name in values:
                self.found[f"html-{name}"] += 1
        for name, slug in _ATTRIBUTE_SLUGS.items():
            if name in values:
                self.found[slug] += 1
        if tag == "img" and "usemap" in values:
            self.found["html-image-maps"] += 1
        href = values.get("href", "").strip().lower() if tag == "a" else ""
        if href.startswith("#"):
            self.found["html-anchor-links"] += 1
        elif href.startswith("mailto:"):
            self.found["html-mailto-links"] += 1

    def _image(self, src: str) -> None:
        if src.lower().startswith("data:image/"):
            self.found["image-base64"] += 1
        for slug, pattern in _IMAGE_PATTERNS.items():
            if pattern.search(src):
                self.found[slug] += 1


def count_html(html: str) -> tuple[Counter[str], int, int]:
    """Return the features found in ``html``, its number of elements and of scripts."""
    scan = _Scan()
    try:
        scan.feed(html[:MAX_HTML])
        scan.close()
    except Exception:  # html.parser is lenient; keep what was read if it ever gives up
        pass
    found = scan.found + count_css(scan.inline, scan.styles)
    return found, scan.nodes, scan.scripts


def _script_warning(scripts: int) -> JSON:
    return {
        "Slug": "html-script",
        "Title": "<script> element",
        "Description": "JavaScript is not supported in any email client.",
        "URL": "",
        "Category": "html",
        "Tags": [],
        "Keywords": "",
        "Results": [],
        "NotesByNumber": {},
        "Score": {"Found": scripts, "Supported": 0.0, "Partial": 0.0, "Unsupported": 100.0},
    }


def check_html(html: str) -> JSON:
    """Return Mailpit's ``HTMLCheckResponse`` for ``html`` (see the module)."""
    found, nodes, scripts = count_html(html)
    known = features()
    warnings = [warning(known[slug], count) for slug, count in found.items() if slug in known]
    warnings = [w for w in warnings if w["Score"]["Supported"] < 100]
    if scripts:
        warnings.append(_script_warning(scripts))
    nodes = max(nodes, 1)

    def weight(w: JSON) -> float:
        score = w["Score"]
        return float((score["Unsupported"] + score["Partial"]) * min(1.0, score["Found"] / nodes))

    warnings.sort(key=lambda w: (-weight(w), w["Slug"]))
    share = [min(1.0, w["Score"]["Found"] / nodes) for w in warnings]
    unsupported = max(
        (w["Score"]["Unsupported"] * s for w, s in zip(warnings, share, strict=True)), default=0
    )
    partial = max(
        (w["Score"]["Partial"] * s for w, s in zip(warnings, share, strict=True)), default=0
    )
    partial = min(partial, 100 - unsupported)
    return {
        "Warnings": warnings,
        "Platforms": platforms(),
        "Total": {
            "Tests": len(known) + 1,
            "Nodes": nodes,
            "Supported": round(100 - unsupported - partial, 2),
            "Partial": round(partial, 2),
            "Unsupported": round(unsupported, 2),
        },
    }
