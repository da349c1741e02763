"""The caniemail data set: which email clients support which HTML and CSS features.

``data/caniemail.json`` is the data of caniemail.com (MIT licence,
``data/caniemail-LICENSE.txt``), shipped unchanged as the npm package
``caniemail`` 2.0.2 ships it (``api_version`` 1.0.4); there is no Python
package of it. Each feature (``css-display-flex``, ``html-form``, ...) lists
per client family, platform and version ``y`` (supported), ``n`` (not),
``a`` (partially), ``u`` (unknown), with an optional note ``#N``.

:func:`warning` turns one feature found in a message into Mailpit's
``HTMLCheckWarning``; versions of unknown support are left out of its
results and its percentages.
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from pochta.server.api.shape import JSON

__all__ = ["Feature", "features", "platforms", "to_html", "warning"]

_SITE = "https://www.caniemail.com"
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_NOTE = re.compile(r"#(\d+)")
_SUPPORT = {"y": "yes", "n": "no", "a": "partial"}


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature of the data set, as the check uses it."""

    slug: str
    title: str
    description: str
    url: str
    category: str
    tags: tuple[str, ...]
    keywords: str
    stats: dict[str, dict[str, dict[str, str]]]
    notes: dict[str, str]


@functools.cache
def _data() -> dict[str, Any]:
    text = files("pochta.server.check").joinpath("data", "caniemail.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def features() -> dict[str, Feature]:
    """Return every feature of the data set by slug."""
    return {
        item["slug"]: Feature(
            slug=item["slug"],
            title=item["title"],
            description=item.get("description") or "",
            url=item.get("url") or "",
            category=item["category"],
            tags=tuple(item.get("tags") or ()),
            keywords=item.get("keywords") or "",
            stats=item.get("stats") or {},
            notes={str(k): str(v) for k, v in (item.get("notes_by_num") or {}).items()},
        )
        for item in _data()["data"]
    }


def _nice(kind: str, key: str) -> str:
    return str(_data()["nicenames"][kind].get(key, key))


@functools.cache
def platforms() -> dict[str, list[str]]:
    """Return Mailpit's ``Platforms``: each platform and the client families tested on it."""
    found: dict[str, set[str]] = {}
    for feature in features().values():
        for family, by_platform in feature.stats.items():
            for platform in by_platform:
                found.setdefault(platform, set()).add(_nice("family", family))
    return {platform: sorted(names) for platform, names in sorted(found.items())}


def to_html(markdown: str) -> str:
    """Turn the data set's bits of Markdown (code and links) into escaped HTML."""
    text = html.escape(markdown, quote=True)
    text = _CODE.sub(r"<code>\1</code>", text)

    def link(match: re.Match[str]) -> str:
        url = match[2] if match[2].startswith("http") else _SITE + match[2]
        return f'<a href="{url}" target="_blank" rel="noopener noreferrer">{match[1]}</a>'

    return _LINK.sub(link, text)


def warning(feature: Feature, found: int) -> JSON:
    """Return Mailpit's ``HTMLCheckWarning`` for ``feature`` found ``found`` times."""
    results: list[JSON] = []
    counts = {"yes": 0, "no": 0, "partial": 0}
    for family, by_platform in feature.stats.items():
        for platform, by_version in by_platform.items():
            for version, support in by_version.items():
                kind = _SUPPORT.get(support[:1])
                if kind is None:
                    continue  # "u": nobody knows; it counts neither way
                counts[kind] += 1
                note = _NOTE.search(support)
                name = f"{_nice('family', family)} {_nice('platform', platform)} ({version})"
                results.append(
                    {
                        "Name": name,
                        "Platform": platform,
                        "Family": family,
                        "Version": version,
                        "Support": kind,
                        "NoteNumber": note[1] if note else "",
                    }
                )
    total = sum(counts.values()) or 1
    return {
        "Slug": feature.slug,
        "Title": feature.title,
        "Description": to_html(feature.description),
        "URL": feature.url,
        "Category": feature.category,
        "Tags": list(feature.tags),
        "Keywords": feature.keywords,
        "Results": results,
        "NotesByNumber": {k: to_html(v) for k, v in feature.notes.items()},
        "Score": {
            "Found": found,
            "Supported": round(counts["yes"] / total * 100, 2),
            "Partial": round(counts["partial"] / total * 100, 2),
            "Unsupported": round(counts["no"] / total * 100, 2),
        },
    }
