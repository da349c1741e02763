"""GET /api/v1/info and /api/v1/webui: Mailpit's field names, pochta's figures."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pochta import __version__
from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio

# Mailpit's AppInformation and WebUIConfiguration fields (swagger.json).
INFO_FIELDS = [
    "Database", "DatabaseSize", "LatestVersion", "Messages", "RuntimeStats", "Tags", "Unread",
    "Version",
]  # fmt: skip
RUNTIME_FIELDS = [
    "Memory", "MessagesDeleted", "SMTPAccepted", "SMTPAcceptedSize", "SMTPIgnored",
    "SMTPRejected", "Uptime",
]  # fmt: skip
WEBUI_FIELDS = ["ChaosEnabled", "DuplicatesIgnored", "Label", "MessageRelay", "SpamAssassin"]
RELAY_FIELDS = [
    "AllowedRecipients", "BlockedRecipients", "Enabled", "OverrideFrom", "ReturnPath",
    "SMTPServer",
]  # fmt: skip


async def test_info_counts_the_store(api_client: httpx.AsyncClient, api_store: Store) -> None:
    for tags in ("a, b", "b"):
        raw = f"Subject: x\r\nX-Tags: {tags}\r\n\r\nhi\r\n".encode()
        api_store.add(raw, Envelope("a@example.com", ("b@example.com",), source="api"))
    api_store.set_read([api_store.list_messages().messages[0].id], True)
    info = (await api_client.get("/api/v1/info")).json()
    assert set(info) >= set(INFO_FIELDS) and set(info["RuntimeStats"]) >= set(RUNTIME_FIELDS)
    runtime = info.pop("RuntimeStats")
    assert info == {
        "Version": __version__,
        "LatestVersion": "",
        "Database": api_store.location,
        "DatabaseSize": info["DatabaseSize"],
        "Messages": 2,
        "Unread": 1,
        "Tags": {"a": 1, "b": 2},
    }
    on_disk = Path(api_store.location).stat().st_size if Path(api_store.location).is_file() else 1
    assert info["DatabaseSize"] >= on_disk > 0  # the file, or the PostgreSQL database
    assert runtime["Memory"] > 1024 * 1024 and runtime["Uptime"] >= 0
    assert runtime["MessagesDeleted"] == runtime["SMTPAccepted"] == 0


async def test_info_counts_deletions(api_client: httpx.AsyncClient, api_store: Store) -> None:
    ids = [api_store.add(b"Subject: x\r\n\r\nhi\r\n", Envelope("a@x.test", ("b@x.test",)))]
    ids.append(api_store.add(b"Subject: y\r\n\r\nhi\r\n", Envelope("a@x.test", ("b@x.test",))))
    api_store.add(b"Subject: z\r\n\r\nhi\r\n", Envelope("a@x.test", ("b@x.test",)))
    await api_client.request("DELETE", "/api/v1/messages", json={"IDs": ids[:1]})
    await api_client.request("DELETE", "/api/v1/messages")
    runtime = (await api_client.get("/api/v1/info")).json()["RuntimeStats"]
    # The app was built before the adds: it saw three deletions. The messages came
    # straight into the store, not through this server's SMTP, so none was SMTP-accepted.
    assert (runtime["SMTPAccepted"], runtime["MessagesDeleted"]) == (0, 3)
    assert runtime["SMTPAcceptedSize"] == 0


async def test_webui_has_mailpit_fields(api_client: httpx.AsyncClient) -> None:
    webui = (await api_client.get("/api/v1/webui")).json()
    assert set(webui) >= set(WEBUI_FIELDS) and set(webui["MessageRelay"]) >= set(RELAY_FIELDS)
    assert (webui["MessageRelay"]["Enabled"], webui["SpamAssassin"], webui["Label"]) == (
        False,
        False,
        "",
    )
