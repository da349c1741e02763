"""The spam check against a real spamd started by the test, through a real ``pochta serve``."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from pochta.server.check.spam import parse_reply
from tests.server.check.spamd import running_spamd
from tests.server.web.inbox_samples import plain_message, send

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


@pytest.fixture(scope="module")
def spamd() -> Iterator[int]:
    """spamd for the module: its port."""
    with running_spamd() as port:
        yield port


def newest(served: ServeProcess) -> str:
    """Return the id of the newest message."""
    return str(served.get("/api/v1/messages?limit=1").json()["messages"][0]["ID"])


def test_gtube_is_spam_and_a_plain_message_is_not(
    launch_serve: Callable[..., ServeProcess], spamd: int
) -> None:
    served = launch_serve("--enable-spamassassin", f"127.0.0.1:{spamd}")
    assert served.get("/api/v1/webui").json()["SpamAssassin"] is True
    send(served.smtp, plain_message("Cheap pills", f"Buy now!\n{GTUBE}\n"))
    spam_id = newest(served)
    assert ">Spam</a>" in served.get(f"/message/{spam_id}/text").text  # no score yet
    spam = served.get(f"/api/v1/message/{spam_id}/sa-check").json()
    assert list(spam) == ["IsSpam", "Error", "Score", "Rules"]
    assert (spam["IsSpam"], spam["Error"]) == (True, "")
    assert spam["Score"] >= 1000
    assert spam["Score"] == round(spam["Score"], 1)
    gtube = next(rule for rule in spam["Rules"] if rule["Name"] == "GTUBE")
    assert gtube == {
        "Score": 1000.0,
        "Name": "GTUBE",
        "Description": "BODY: Generic Test for Unsolicited Bulk Email",
    }
    tab = served.get(f"/message/{spam_id}/spam").text
    assert f">Spam ({spam['Score']:g})</a>" in tab
    assert "GTUBE" in tab and "not spam" not in tab
    send(served.smtp, plain_message("Lunch tomorrow?", "Shall we meet at noon by the river?"))
    ham = served.get(f"/api/v1/message/{newest(served)}/sa-check").json()
    assert ham["IsSpam"] is False
    assert ham["Score"] < 5
    assert ham["Error"] == ""
    assert isinstance(ham["Rules"], list)


def test_a_spamd_that_is_down_is_an_error_in_a_200(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = launch_serve("--enable-spamassassin", f"127.0.0.1:{port}")
    send(served.smtp, plain_message("Hello", "Hi"))
    answer = served.get(f"/api/v1/message/{newest(served)}/sa-check")
    assert answer.status_code == 200
    result = answer.json()
    assert (result["IsSpam"], result["Score"], result["Rules"]) == (False, 0.0, None)
    assert f"cannot reach spamd at 127.0.0.1:{port}" in result["Error"]


def test_without_the_flag_the_route_is_404(serve_process: ServeProcess) -> None:
    send(serve_process.smtp, plain_message("Hello", "Hi"))
    answer = serve_process.get(f"/api/v1/message/{newest(serve_process)}/sa-check")
    assert answer.status_code == 404
    assert "--enable-spamassassin" in answer.json()["Error"]
    assert serve_process.get("/api/v1/webui").json()["SpamAssassin"] is False


def test_the_report_table_is_read_with_wrapped_descriptions() -> None:
    reply = (
        b"SPAMD/1.1 0 EX_OK\r\nContent-length: 300\r\nSpam: False ; 2.57 / 5.0\r\n\r\n"
        b"Content analysis details:   (2.6 points, 5.0 required)\n\n"
        b" pts rule name              description\n"
        b"---- ---------------------- --------------------------------------------------\n"
        b" 2.5 FAKE_RULE              This description goes on\n"
        b"                            over two lines\n"
        b"-0.1 NO_RELAYS              Informational: message was not relayed via SMTP\n"
    )
    result = parse_reply(reply)
    assert (result.is_spam, result.score) == (False, 2.5)
    assert [(r.score, r.name, r.description) for r in result.rules or ()] == [
        (2.5, "FAKE_RULE", "This description goes on over two lines"),
        (-0.1, "NO_RELAYS", "Informational: message was not relayed via SMTP"),
    ]
    assert parse_reply(b"SPAMD/1.1 76 Bad header line\r\n\r\n").error.startswith("spamd refused")
