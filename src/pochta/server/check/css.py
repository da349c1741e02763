"""The CSS half of the HTML check: caniemail's CSS features in ``style`` attributes and blocks.

:func:`count_css` reads declarations (``property: value``) from both, and from
``<style>`` blocks also their at-rules, media features, selectors,
pseudo-classes and pseudo-elements. A property counts as the feature
``css-<property>`` when the data set has one, or as the feature of its family
(``margin-left`` is ``css-margin``); values give the functions (``rgb()``,
``calc()``, gradients...), units, ``display`` kinds and ``!important``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from pochta.server.check.caniemail import features

__all__ = ["count_css", "property_feature"]

_FAMILIES = {
    "css-border-radius-logical": r"border-(start|end)-(start|end)-radius",
    "css-border-radius": r"border(-(top|bottom)-(left|right))?-radius",
    "css-border-inline-block-longhand": (
        r"border-(inline|block)-(start|end)(-(color|style|width))?"
    ),
    "css-border-inline-block-individual": r"border-(inline|block)-(color|style|width)",
    "css-border-inline-block": r"border-(inline|block)",
    "css-border": r"border(-(top|right|bottom|left))?(-(width|style|color))?",
    "css-block-inline-size": r"block-size",
    "css-column-layout-properties": r"column-(fill|rule(-\w+)?|span|width)|columns",
    "css-gap": r"(column-|row-)?gap",
    "css-grid-template": r"grid-template(-\w+)?",
    "css-inset": r"inset(-\w+)*",
    "css-left-right-top-bottom": r"left|right|top|bottom",
    "css-margin-block-start-end": r"margin-block-(start|end)",
    "css-margin-inline-start-end": r"margin-inline-(start|end)",
    "css-margin-inline-block": r"margin-(inline|block)",
    "css-margin": r"margin(-(top|right|bottom|left))?",
    "css-padding-block-start-end": r"padding-block-(start|end)",
    "css-padding-inline-start-end": r"padding-inline-(start|end)",
    "css-padding-inline-block": r"padding-(inline|block)",
    "css-padding": r"padding(-(top|right|bottom|left))?",
    "css-overflow": r"overflow(-(x|y|block|inline))?",
    "css-scroll-snap": r"scroll-(snap|margin|padding)(-\w+)*",
    "css-animation": r"animation(-\w+)*",
    "css-transition": r"transition(-\w+)*",
    "css-text-wrap": r"text-wrap(-\w+)*",
}
_FAMILY_PATTERNS = [(slug, re.compile(pattern)) for slug, pattern in _FAMILIES.items()]
_VALUES = {
    "css-display-flex": r"^\s*(inline-)?flex\b",
    "css-display-grid": r"^\s*(inline-)?grid\b",
    "css-display-none": r"^\s*none\b",
}
_FUNCTIONS = {
    "css-rgb": r"\brgb\(",
    "css-rgba": r"\brgba\(",
    "css-linear-gradient": r"\b(repeating-)?linear-gradient\(",
    "css-radial-gradient": r"\b(repeating-)?radial-gradient\(",
    "css-conic-gradient": r"\b(repeating-)?conic-gradient\(",
    "css-function-clamp": r"\bclamp\(",
    "css-function-min": r"\bmin\(",
    "css-function-max": r"\bmax\(",
    "css-function-light-dark": r"\blight-dark\(",
    "css-unit-calc": r"\bcalc\(",
    "css-modern-color": r"\b(ok)?(lch|lab)\(",
    "css-variables": r"\bvar\(",
    "css-intrinsic-size": r"\b(min|max|fit)-content\b",
    "css-sytem-ui": r"\b(system-ui|ui-serif|ui-sans-serif|ui-rounded|ui-monospace)\b",
    "css-unit-initial": r"\binitial\b",
    "css-important": r"!\s*important\b",
}
_UNITS = ("ch", "cm", "em", "ex", "in", "mm", "pc", "pt", "px", "rem", "vh", "vmax", "vmin", "vw")
_VALUE_PATTERNS = [
    *((slug, re.compile(p, re.I)) for slug, p in _FUNCTIONS.items()),
    *((f"css-unit-{u}", re.compile(rf"(?<![\w.#-])-?\d*\.?\d+{u}\b", re.I)) for u in _UNITS),
    ("css-unit-percent", re.compile(r"(?<![\w.#-])-?\d*\.?\d+%")),
]
_AT_RULES = {
    "css-at-font-face": r"@font-face\b",
    "css-at-import": r"@import\b",
    "css-at-keyframes": r"@(-\w+-)?keyframes\b",
    "css-at-media": r"@media\b",
    "css-at-supports": r"@supports\b",
    "css-at-media-device-pixel-ratio": r"@media[^{]*device-pixel-ratio",
    "css-at-media-hover": r"@media[^{]*\((any-)?hover\b",
    "css-at-media-orientation": r"@media[^{]*\(orientation\b",
    "css-at-media-prefers-color-scheme": r"@media[^{]*\(prefers-color-scheme\b",
    "css-at-media-prefers-reduced-motion": r"@media[^{]*\(prefers-reduced-motion\b",
}
_AT_PATTERNS = [(slug, re.compile(p, re.I)) for slug, p in _AT_RULES.items()]
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_RULE = re.compile(r"([^{}]*)\{([^{}]*)\}")
_PSEUDO = re.compile(r"(::?)([a-z-]+)", re.I)
_SELECTORS = {
    "css-selector-class": r"\.[A-Za-z_-]",
    "css-selector-id": r"#[A-Za-z_-]",
    "css-selector-attribute": r"\[",
    "css-selector-universal": r"\*",
    "css-selector-child": r">",
    "css-selector-adjacent-sibling": r"\+",
    "css-selector-general-sibling": r"~",
    "css-selector-descendant": r"[\w\])*](?=\s+[\w.#\[*:])",
    "css-selector-type": r"(?:^|[\s>+~(])[a-zA-Z][\w-]*",
    "css-selector-chaining": r"[\w\])][.#\[][\w-]",
    "css-nesting": r"&",
}
_SELECTOR_PATTERNS = [(slug, re.compile(p)) for slug, p in _SELECTORS.items()]


def property_feature(name: str) -> str | None:
    """Return the caniemail feature of the CSS property ``name``, or None."""
    name = name.strip().lower()
    if name.startswith("--"):
        return "css-variables"
    if f"css-{name}" in features():
        return f"css-{name}"
    return next((slug for slug, pattern in _FAMILY_PATTERNS if pattern.fullmatch(name)), None)


def _declarations(found: Counter[str], text: str) -> None:
    for declaration in text.split(";"):
        name, colon, value = declaration.partition(":")
        if not colon or not name.strip():
            continue
        slug = property_feature(name)
        if slug is not None:
            found[slug] += 1
        if name.strip().lower() == "display":
            found.update(s for s, p in _VALUES.items() if re.search(p, value, re.I))
        found.update(s for s, p in _VALUE_PATTERNS for _ in p.finditer(value))


def _selectors(found: Counter[str], prelude: str) -> None:
    if prelude.lstrip().startswith("@") or "%" in prelude:  # at-rules and keyframe steps
        return
    selectors = [s.strip() for s in prelude.split(",") if s.strip()]
    if len(selectors) > 1:
        found["css-selector-grouping"] += 1
    for selector in selectors:
        found.update(s for s, p in _SELECTOR_PATTERNS for _ in p.finditer(selector))
        for colons, name in _PSEUDO.findall(selector):
            name = name.lower()
            element = colons == "::" or name in ("before", "after", "first-letter", "first-line")
            slug = f"css-pseudo-{'element' if element else 'class'}-{name}"
            if slug in features():
                found[slug] += 1


def count_css(inline: Iterable[str], blocks: Iterable[str]) -> Counter[str]:
    """Return the CSS features found in ``style`` attribute values and ``<style>`` blocks."""
    found: Counter[str] = Counter()
    for text in inline:
        found["css-comments"] += len(_COMMENT.findall(text))
        _declarations(found, _COMMENT.sub("", text))
    for block in blocks:
        found["css-comments"] += len(_COMMENT.findall(block))
        text = _COMMENT.sub("", block)
        found.update(s for s, p in _AT_PATTERNS for _ in p.finditer(text))
        # Innermost rules first: each pass takes the rules that hold no other.
        for _ in range(8):
            rules = _RULE.findall(text)
            if not rules:
                break
            for prelude, body in rules:
                _selectors(found, prelude.rsplit(";", 1)[-1])
                _declarations(found, body)
            text = _RULE.sub(";", text)
    return +found
