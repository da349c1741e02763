"""A tour of every API route through a real ``pochta serve``, against Mailpit's field names.

The field lists are Mailpit's (``server/ui/api/v1/swagger.json`` in axllent/mailpit):
each JSON answer must hold at least these fields (pochta may add its own).
"""

from __future__ import annotations

import base64
import smtplib
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from pochta.server.api import model as api_models

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

MESSAGES_SUMMARY = {"messages", "messages_count", "start", "tags", "total", "unread"}
MESSAGE_SUMMARY = {
    "Attachments", "Bcc", "Cc", "Created", "From", "ID", "MessageID", "Read", "ReplyTo", "Size",
    "Snippet", "Subject", "Tags", "To",
}  # fmt: skip
MESSAGE = {
    "Attachments", "Bcc", "Cc", "Date", "From", "HTML", "ID", "Inline", "MessageID", "ReplyTo",
    "ReturnPath", "Size", "Subject", "Tags", "Text", "To",
}  # fmt: skip
ATTACHMENT = {"ContentID", "ContentType", "FileName", "PartID", "Size"}
ADDRESS = {"Address", "Name"}
APP_INFORMATION = {
    "Database", "DatabaseSize", "LatestVersion", "Messages", "RuntimeStats", "Tags", "Unread",
    "Version",
}  # fmt: skip
RUNTIME_STATS = {
    "Memory", "MessagesDeleted", "SMTPAccepted", "SMTPAcceptedSize", "SMTPIgnored",
    "SMTPRejected", "Uptime",
}  # fmt: skip
WEBUI = {"ChaosEnabled", "DuplicatesIgnored", "Label", "MessageRelay", "SpamAssassin"}
SEND_CONFIRMATION = {"ID"}
ERROR = {"Error"}


def has(answer: Any, fields: set[str]) -> bool:
    """Tell whether a JSON object holds every field of ``fields``."""
    return isinstance(answer, dict) and fields <= set(answer)


def documented_exactly(answer: Any, model: type[BaseModel]) -> bool:
    """Tell whether ``answer`` has exactly the fields the OpenAPI document gives it."""
    model.model_validate(answer)
    return set(answer) == set(model.model_fields)


def smtp_send(served: ServeProcess) -> None:
    """Send one message with a Cc over SMTP."""
    message = (
        "From: Shop <shop@example.com>\r\nTo: user+orders@example.com\r\nCc: boss@example.com\r\n"
        "Subject: Order shipped\r\n\r\nYour parcel is on its way.\r\n"
    )
    with smtplib.SMTP(*served.smtp) as client:
        client.sendmail("shop@example.com", ["user+orders@example.com"], message)


def test_every_route_answers_with_mailpit_fields(serve_process: ServeProcess) -> None:
    served = serve_process
    smtp_send(served)
    png = base64.b64encode(b"\x89PNG fake").decode()
    sent = served.request(
        "POST",
        "/api/v1/send",
        json={
            "From": {"Email": "app@example.com"},
            "To": [{"Email": "user@example.com", "Name": "User"}],
            "Subject": "Via the API",
            "HTML": '<p>Hi <img src="cid:logo"></p>',
            "Attachments": [{"Content": png, "Filename": "logo.png", "ContentID": "logo"}],
            "Tags": ["api"],
        },
    )
    assert sent.status_code == 200 and has(sent.json(), SEND_CONFIRMATION)
    api_id = sent.json()["ID"]

    listed = served.get("/api/v1/messages").json()
    assert has(listed, MESSAGES_SUMMARY) and listed["total"] == 2
    assert documented_exactly(listed, api_models.MessagesSummary)
    row = listed["messages"][0]
    assert has(row, MESSAGE_SUMMARY) and has(row["From"], ADDRESS)
    assert listed["tags"] == ["api", "orders"]

    found = served.get("/api/v1/search", params={"query": "parcel"}).json()
    assert has(found, MESSAGES_SUMMARY) and found["messages_count"] == 1
    smtp_id = found["messages"][0]["ID"]

    message = served.get(f"/api/v1/message/{api_id}").json()
    assert has(message, MESSAGE) and has(message["Inline"][0], ATTACHMENT)
    assert documented_exactly(message, api_models.Message)
    assert served.get(f"/api/v1/message/{api_id}/headers").json()["X-Tags"] == ["api"]
    assert served.get(f"/api/v1/message/{smtp_id}/raw").text.endswith("on its way.\r\n")
    part = served.get(f"/api/v1/message/{api_id}/part/{message['Inline'][0]['PartID']}")
    assert part.content == b"\x89PNG fake"

    html = served.get(f"/view/{api_id}.html")
    assert html.headers["content-security-policy"].startswith("sandbox")
    assert f"/api/v1/message/{api_id}/part/" in html.text
    assert served.get(f"/view/{smtp_id}.txt").text == "Your parcel is on its way.\n"
    latest = served.get("/view/latest", follow_redirects=False)
    assert (latest.status_code, latest.headers["location"]) == (302, f"/view/{api_id}.html")

    assert served.get("/api/v1/tags").json() == ["api", "orders"]
    tag_set = {"IDs": [smtp_id], "Tags": ["shipping"]}
    assert served.request("PUT", "/api/v1/tags", json=tag_set).text == "ok"
    assert served.request("PUT", "/api/v1/tags/shipping", json={"Name": "sent"}).text == "ok"
    assert served.request("DELETE", "/api/v1/tags/api").text == "ok"
    assert served.get("/api/v1/tags").json() == ["sent"]

    read = served.request("PUT", "/api/v1/messages", json={"Read": False, "Search": "tag:sent"})
    assert read.text == "ok"
    info = served.get("/api/v1/info").json()
    assert has(info, APP_INFORMATION) and has(info["RuntimeStats"], RUNTIME_STATS)
    assert documented_exactly(info, api_models.AppInformation)
    assert (info["Messages"], info["Unread"], info["Tags"]) == (2, 1, {"sent": 1})
    assert info["RuntimeStats"]["SMTPAccepted"] == 1
    webui = served.get("/api/v1/webui").json()
    assert has(webui, WEBUI) and documented_exactly(webui, api_models.WebUIConfiguration)

    assert served.request("DELETE", "/api/v1/search", params={"query": "tag:sent"}).text == "ok"
    assert served.request("DELETE", "/api/v1/messages", json={"IDs": [api_id]}).text == "ok"
    assert served.get("/api/v1/messages").json()["total"] == 0
    assert served.get("/livez").text == served.get("/readyz").text == "ok"
    assert "/api/v1/search" in served.get("/api/v1/openapi.json").json()["paths"]


def test_error_statuses_use_one_shape(serve_process: ServeProcess) -> None:
    served = serve_process
    answers = {
        "unknown id": served.get("/api/v1/message/NoSuchMessage1"),
        "bad search": served.get("/api/v1/search", params={"query": "larger:lots"}),
        "no search": served.get("/api/v1/search"),
        "bad body": served.request("PUT", "/api/v1/tags", content=b"{"),
        "bad send": served.request("POST", "/api/v1/send", json={"To": []}),
        "foreign host": served.get("/api/v1/messages", headers={"host": "evil.example"}),
        "foreign origin": served.request(
            "DELETE", "/api/v1/messages", headers={"origin": "http://evil.example"}
        ),
        "no html": served.get("/view/NoSuchMessage1.html"),
    }
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "unknown id": 404,
        "bad search": 400,
        "no search": 400,
        "bad body": 400,
        "bad send": 400,
        "foreign host": 421,
        "foreign origin": 403,
        "no html": 404,
    }
    assert all(has(answer.json(), ERROR) for answer in answers.values())
