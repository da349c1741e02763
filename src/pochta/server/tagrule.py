"""``--tag`` and ``--tags-config``: tags given to new messages by search filters (Mailpit's).

``--tag 'Tag 1,urgent=subject:urgent "Scanned"="X-Antivirus: "'`` holds rules
``tags=match`` separated by spaces outside double quotes (the quotes are then
removed; the match is lowercased). ``--tags-config FILE`` is Mailpit's YAML::

    filters:
      - match: from:alerts@example.com
        tags: Alerts, Ops

A new message gets a rule's tags when its raw bytes, lowercased, contain the
match, or when the match, run as a search, finds it. The rules run on a
thread of their own after the message is indexed (searches need the index),
then hand the message on (to the webhook), so a message's tags can appear a
moment after it does.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import queue
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pochta.exceptions import ConfigurationError, MessageNotFound, PochtaError, QueryError
from pochta.store import Store
from pochta.store.query import Query, Term, parse_query
from pochta.store.record import StoreEvent, Summary
from pochta.store.tag import clean_tags

__all__ = ["TagRule", "TagRules", "load_tags_config", "parse_tag_rules"]

logger = logging.getLogger(__name__)

_BATCH = 200
_BACKLOG = 10_000


@dataclass(frozen=True, slots=True)
class TagRule:
    """Give ``tags`` to messages that contain or are found by ``match``."""

    tags: tuple[str, ...]
    match: str
    query: Query


def _rule(tags_text: str, match: str, source: str) -> TagRule:
    tags = clean_tags(tags_text.split(","))
    if not tags or not match:
        raise ConfigurationError(f"[tag] {source}: give tags=match, e.g. Urgent=subject:urgent")
    try:
        query = parse_query(match)
    except QueryError as error:
        raise ConfigurationError(f"[tag] {source}: {error}") from None
    return TagRule(tags, match, query)


def parse_tag_rules(text: str) -> tuple[TagRule, ...]:
    """Read ``--tag`` rules; raise ConfigurationError naming an item that is not ``tags=match``."""
    rules = []
    for item in re.findall(r'(?:[^\s"]|"[^"]*"?)+', text):
        bare = item.replace('"', "")
        tags, equals, match = bare.partition("=")
        if not equals:
            raise ConfigurationError(
                f"[tag] error parsing tags ({bare}); give tags=match, e.g. Urgent=subject:urgent"
            )
        rules.append(_rule(tags, match.strip().lower(), f"--tag {bare!r}"))
    return tuple(rules)


def load_tags_config(path: Path) -> tuple[TagRule, ...]:
    """Read Mailpit's tags YAML (``filters:`` of ``match:`` and ``tags:``)."""
    import yaml  # only a configuration file needs it (a tenth of pochta serve's start)

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigurationError(f"[tags] cannot read {path}: {error}") from None
    filters = loaded.get("filters") if isinstance(loaded, dict) else None
    if not isinstance(filters, list):
        raise ConfigurationError(
            f"[tags] missing tag: array in {path}; give filters: with - match: and tags:"
        )
    rules = []
    for number, item in enumerate(filters, 1):
        if not isinstance(item, dict) or not {"match", "tags"} <= set(item):
            raise ConfigurationError(f"[tags] filter {number} in {path} needs match: and tags:")
        rules.append(_rule(str(item["tags"]), str(item["match"]).strip(), f"{path} #{number}"))
    return tuple(rules)


class TagRules:
    """Apply tag rules to each new message of a store, then pass it to ``then``."""

    def __init__(
        self,
        store: Store,
        rules: Sequence[TagRule],
        *,
        then: Callable[[Summary], object] | None = None,
    ) -> None:
        self._store = store
        self._rules = tuple(rules)
        self._then = then
        self._queue: queue.Queue[Summary | None] = queue.Queue(_BACKLOG)
        self._thread = threading.Thread(target=self._run, name="pochta-tag-rules", daemon=True)
        self._thread.start()
        self._unsubscribe = store.subscribe(self._heard)

    def _heard(self, event: StoreEvent) -> None:
        # Another catcher sharing the store applies its rules to its own messages.
        if event.kind == "new" and event.summary is not None and not event.remote:
            try:
                self._queue.put_nowait(event.summary)
            except queue.Full:
                logger.warning("tag rules are behind; %s left untagged", event.summary.id)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < _BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            done = [s for s in batch if s is not None]
            try:
                tagged = self.apply(done)
            except PochtaError:
                logger.exception("tag rules failed for %d message(s)", len(done))
                tagged = done
            for summary in tagged:
                if self._then is not None:
                    self._then(summary)
            if len(done) < len(batch):
                return

    def apply(self, summaries: Sequence[Summary]) -> list[Summary]:
        """Tag ``summaries`` by the rules now; return them with their new tags."""
        if not summaries:
            return []
        found: dict[str, set[str]] = {s.id: set() for s in summaries}
        since = min(s.created for s in summaries) - datetime.timedelta(milliseconds=1)
        for rule in self._rules:
            query = Query((*rule.query.terms, Term("after", since)))
            for id in set(self._store.search_ids(query)) & found.keys():
                found[id].update(rule.tags)
        for summary in summaries:
            try:
                raw = self._store.raw(summary.id).lower()
            except MessageNotFound:  # deleted meanwhile
                continue
            for rule in self._rules:
                if rule.match.encode() in raw:
                    found[summary.id].update(rule.tags)
        result = []
        for summary in summaries:
            tags = clean_tags([*summary.tags, *found[summary.id]])
            if tags != summary.tags:
                self._store.set_tags([summary.id], tags)
                summary = dataclasses.replace(summary, tags=tags)
            result.append(summary)
        return result

    def close(self) -> None:
        """Stop listening and end the thread (messages not yet tagged stay untagged)."""
        self._unsubscribe()
        try:
            self._queue.put(None, timeout=1.0)
        except queue.Full:
            return
        self._thread.join(5.0)
