"""``--tag`` and ``--tags-config``: Mailpit's tag rules, on a real store and ``pochta serve``."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pochta.exceptions import ConfigurationError
from pochta.message.envelope import Envelope
from pochta.server.tagrule import TagRules, load_tags_config, parse_tag_rules
from pochta.store import Store, open_store
from pochta.store.record import Summary
from tests.conftest import ServeProcess

ALERT = (
    b"From: alerts@example.com\r\nTo: ops@example.com\r\nSubject: Disk full\r\n"
    b"X-Antivirus: scanned\r\n\r\nThe disk is full.\r\n"
)
HELLO = b"From: ann@example.com\r\nTo: bob@example.com\r\nSubject: Lunch?\r\n\r\nNoon?\r\n"


def test_tag_rules_are_read_as_mailpit_splits_them() -> None:
    rules = parse_tag_rules('user=FROM:User@Example.com "Tag 1,Urgent"="Disk Full" "A b"="X-Av: "')

    assert [(r.tags, r.match) for r in rules] == [
        (("user",), "from:user@example.com"),
        (("Tag 1", "Urgent"), "disk full"),
        (("A b",), "x-av:"),
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("no-equals", r"\[tag\] error parsing tags \(no-equals\)"),
        ("=subject:x", "give tags=match"),
        ("tag=is:nonsense", "unknown flag is:'nonsense'"),
    ],
)
def test_bad_tag_rules_are_refused(text: str, error: str) -> None:
    with pytest.raises(ConfigurationError, match=error):
        parse_tag_rules(text)


def test_the_tags_file_is_mailpits(tmp_path: Path) -> None:
    path = tmp_path / "tags.yaml"
    path.write_text("filters:\n  - match: from:alerts@example.com\n    tags: Alerts, Ops\n")
    missing = tmp_path / "missing.yaml"
    missing.write_text("rules: []\n")

    assert [(r.tags, r.match) for r in load_tags_config(path)] == [
        (("Alerts", "Ops"), "from:alerts@example.com")
    ]
    with pytest.raises(ConfigurationError, match="missing tag: array"):
        load_tags_config(missing)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "mail.db")
    yield opened
    opened.close()


def wait_for(count: int, seen: list[Summary]) -> list[Summary]:
    deadline = time.monotonic() + 20
    while len(seen) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return seen


def test_new_messages_get_the_tags_of_matching_rules_by_search_or_raw_text(store: Store) -> None:
    rules = parse_tag_rules('Ops=from:alerts@example.com Scanned="X-Antivirus: "')
    seen: list[Summary] = []
    tagging = TagRules(store, rules, then=seen.append)
    alert = store.add(ALERT, Envelope("alerts@example.com", ("ops@example.com",)))
    hello = store.add(HELLO, Envelope("ann@example.com", ("bob@example.com",)))

    handed_on = {s.id: s.tags for s in wait_for(2, seen)}
    tagging.close()

    assert handed_on == {alert: ("Ops", "Scanned"), hello: ()}
    assert store.summary(alert).tags == ("Ops", "Scanned")
    assert store.summary(hello).tags == ()


def test_pochta_serve_tags_smtp_mail(
    launch_serve: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    config = tmp_path / "tags.yaml"
    config.write_text("filters:\n  - match: subject:lunch\n    tags: Food\n")
    served = launch_serve("--tag", "Ops=from:alerts@example.com", "--tags-config", str(config))
    with smtplib.SMTP(*served.smtp) as client:
        client.sendmail("alerts@example.com", ["ops@example.com"], ALERT)
        client.sendmail("ann@example.com", ["bob@example.com"], HELLO)

    deadline = time.monotonic() + 20
    while served.get("/api/v1/tags").json() != ["Food", "Ops"] and time.monotonic() < deadline:
        time.sleep(0.05)
    listed = served.get("/api/v1/messages").json()["messages"]

    assert [(m["Subject"], m["Tags"]) for m in listed] == [
        ("Lunch?", ["Food"]),
        ("Disk full", ["Ops"]),
    ]
