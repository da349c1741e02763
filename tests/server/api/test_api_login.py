"""The login and HTTPS of the web side, against a real ``pochta serve`` over real HTTP."""

from __future__ import annotations

import base64
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import trustme
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

ALICE = ("alice", "s3cret")
SENDER = ("robot", "b33p")


def htpasswd(path: Path, user: str, password: str) -> Path:
    """Write a bcrypt password file with Apache's ``htpasswd``."""
    subprocess.run(
        ["htpasswd", "-cbB", str(path), user, password], check=True, capture_output=True
    )
    return path


@pytest.fixture
def locked(launch_serve: Callable[..., ServeProcess], tmp_path: Path) -> ServeProcess:
    """A catcher with ``--ui-auth-file`` (alice) and metrics on the web port."""
    users = htpasswd(tmp_path / "ui.htpasswd", *ALICE)
    return launch_serve("--ui-auth-file", str(users), "--enable-prometheus", "true")


ROUTES = [
    "/",
    "/message/latest",
    "/static/inbox.js",
    "/api/v1/messages",
    "/api/v1/info",
    "/api/v1/message/latest/link-check",
    "/api/v1/openapi.json",
    "/view/latest",
    "/metrics",
]


def test_every_route_wants_the_login(locked: ServeProcess) -> None:
    for path in ROUTES:
        answer = httpx.get(locked.url + path, timeout=10)
        assert (path, answer.status_code) == (path, 401)
        assert answer.headers["www-authenticate"] == 'Basic realm="Login"'
        assert "needs a login" in answer.json()["Error"]
    assert httpx.post(locked.url + "/api/v1/send", json={}, timeout=10).status_code == 401
    assert httpx.get(locked.url + "/livez", timeout=10).text == "ok"
    assert httpx.get(locked.url + "/readyz", timeout=10).text == "ok"


def test_the_right_user_gets_in_and_the_socket_connects(locked: ServeProcess) -> None:
    answer = httpx.get(locked.url + "/api/v1/messages", auth=ALICE, timeout=10)
    assert answer.status_code == 200
    assert httpx.get(locked.url + "/metrics", auth=ALICE, timeout=10).status_code == 200
    socket_url = locked.url.replace("http", "ws") + "/api/events"
    with pytest.raises(InvalidStatus):
        connect(socket_url, open_timeout=10).close()
    token = base64.b64encode(b"alice:s3cret").decode()
    with connect(socket_url, additional_headers={"Authorization": f"Basic {token}"}) as socket:
        httpx.request("DELETE", locked.url + "/api/v1/messages", auth=ALICE, timeout=10)
        assert '"Type":"truncate"' in str(socket.recv(timeout=10))


def test_failed_logins_are_limited(locked: ServeProcess) -> None:
    wrong = [
        httpx.get(locked.url + "/api/v1/info", auth=("alice", f"guess{n}"), timeout=10)
        for n in range(5)
    ]
    assert [a.status_code for a in wrong] == [401] * 5
    assert "wrong user or password" in wrong[0].json()["Error"]
    blocked = httpx.get(locked.url + "/api/v1/info", auth=ALICE, timeout=10)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 61
    assert "too many failed logins" in blocked.json()["Error"]


def test_the_send_api_can_have_its_own_users(
    launch_serve: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    ui = htpasswd(tmp_path / "ui", *ALICE)
    send = htpasswd(tmp_path / "send", *SENDER)
    served = launch_serve("--ui-auth-file", str(ui), "--send-api-auth-file", str(send))
    body = {"From": {"Email": "app@example.com"}, "To": [{"Email": "u@example.com"}]}
    url = served.url + "/api/v1/send"
    assert httpx.post(url, json=body, auth=ALICE, timeout=10).status_code == 401
    assert httpx.post(url, json=body, auth=SENDER, timeout=10).status_code == 200
    assert httpx.get(served.url + "/api/v1/messages", auth=SENDER, timeout=10).status_code == 401


def test_the_send_api_can_accept_anyone(
    launch_serve: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    ui = htpasswd(tmp_path / "ui", *ALICE)
    served = launch_serve("--ui-auth-file", str(ui), "--send-api-auth-accept-any")
    body = {"From": {"Email": "app@example.com"}, "To": [{"Email": "u@example.com"}]}
    assert httpx.post(served.url + "/api/v1/send", json=body, timeout=10).status_code == 200
    assert httpx.get(served.url + "/api/v1/messages", timeout=10).status_code == 401


def test_https_with_a_certificate(
    launch_serve: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    authority = trustme.CA()
    pair = authority.issue_cert("127.0.0.1", "localhost")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    pair.cert_chain_pems[0].write_to_path(cert)
    pair.private_key_pem.write_to_path(key)
    served = launch_serve("--ui-tls-cert", str(cert), "--ui-tls-key", str(key))
    assert served.url.startswith("https://127.0.0.1:")
    context = ssl.create_default_context()
    authority.configure_trust(context)
    answer = httpx.get(served.url + "/api/v1/messages", verify=context, timeout=10)
    assert answer.json()["total"] == 0
    with pytest.raises(httpx.HTTPError):
        httpx.get(served.url.replace("https", "http") + "/livez", timeout=5)


def test_a_bad_password_file_stops_the_start(tmp_path: Path) -> None:
    from tests.conftest import start_serve

    with pytest.raises(RuntimeError, match=r"--ui-auth-file .*nope.* cannot be read"):
        start_serve(tmp_path / "mail.db", "--ui-auth-file", str(tmp_path / "nope"))
