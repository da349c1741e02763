"""``--enable-prometheus`` against a real ``pochta serve``, read by prometheus_client."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.server.web.inbox_samples import plain_message

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

MAILPIT = {
    "mailpit_database_size_bytes",
    "mailpit_memory_usage_bytes",
    "mailpit_messages",
    "mailpit_messages_deleted_total",
    "mailpit_messages_unread",
    "mailpit_smtp_accepted_size_bytes_total",
    "mailpit_smtp_accepted_total",
    "mailpit_smtp_ignored_total",
    "mailpit_smtp_rejected_total",
    "mailpit_uptime_seconds",
}


def samples(text: str) -> dict[str, float]:
    """Return every sample of a scrape without labels, by name, as the parser reads them."""
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels
    }


def scrape_until(
    read: Callable[[], str], wanted: Mapping[str, float], timeout: float = 15
) -> dict[str, float]:
    """Scrape until the samples in ``wanted`` have those values (or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        found = samples(read())
        if all(found.get(k) == v for k, v in wanted.items()) or time.monotonic() > deadline:
            return found


def test_counters_move_as_mail_arrives_and_is_refused(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    served = launch_serve(
        "--enable-prometheus", "true",
        "--smtp-allowed-recipients", r"@example\.com$",
        "--ignore-duplicate-ids",
    )  # fmt: skip
    first = samples(served.get("/metrics").text)
    assert set(first) >= MAILPIT
    assert served.get("/metrics").headers["content-type"].startswith("text/plain")
    raw = plain_message("Hello", "Hi there", tags="signup")
    raw = b"Message-ID: <one@example.com>\r\n" + raw
    with smtplib.SMTP(*served.smtp, timeout=10) as client:
        client.sendmail("app@example.com", ["user@example.com", "x@evil.test"], raw)
        client.sendmail("app@example.com", ["user@example.com"], raw)  # a duplicate
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("app@example.com", ["y@evil.test"], raw)
    wanted = {
        "mailpit_smtp_accepted_total": 1,
        "mailpit_smtp_rejected_total": 2,
        "mailpit_smtp_ignored_total": 1,
        "mailpit_messages": 1,
        "mailpit_messages_unread": 1,
    }
    found = scrape_until(lambda: served.get("/metrics").text, wanted)
    assert {k: found[k] for k in wanted} == wanted
    assert found["mailpit_smtp_accepted_size_bytes_total"] > len(raw)
    stats = served.get("/api/v1/info").json()["RuntimeStats"]
    assert (stats["SMTPAccepted"], stats["SMTPRejected"], stats["SMTPIgnored"]) == (1, 2, 1)
    served.request("DELETE", "/api/v1/messages")
    found = scrape_until(lambda: served.get("/metrics").text, {"mailpit_messages": 0})
    assert found["mailpit_messages_deleted_total"] == 1


def test_tags_and_request_times_carry_labels(launch_serve: Callable[..., ServeProcess]) -> None:
    served = launch_serve("--enable-prometheus", "true")
    with smtplib.SMTP(*served.smtp, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], plain_message("t", "x", tags="Beta"))
    deadline = time.monotonic() + 15
    while served.get("/api/v1/messages").json()["total"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    families = {f.name: f for f in text_string_to_metric_families(served.get("/metrics").text)}
    tags = {s.labels["tag"]: s.value for s in families["mailpit_tag_messages"].samples}
    assert tags == {"Beta": 1}
    timed = families["pochta_http_request_duration_seconds"].samples
    routes = {s.labels["route"] for s in timed if s.name.endswith("_count")}
    assert "/api/v1/messages" in routes
    assert not any("/api/v1/message/" in route and "{" not in route for route in routes)


def free_port() -> int:
    """Return a port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_listener_of_its_own_and_no_metrics_route_on_the_web_port(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    port = free_port()
    served = launch_serve("--enable-prometheus", f"127.0.0.1:{port}")
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert answer.status_code == 200
    assert "mailpit_smtp_accepted_total 0.0" in answer.text
    assert served.get("/metrics").status_code == 404
