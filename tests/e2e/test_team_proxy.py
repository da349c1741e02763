"""Two catchers behind one address: examples/team/nginx.conf, run by Debian's nginx.

docs/team.md puts several ``pochta serve`` on one database behind a TCP load
balancer for SMTP and an HTTP proxy for the web, with the nginx configuration
that examples/team/compose.yaml mounts. Here that very file runs (its two
``catcher-*`` names and its ports replaced by the test's own on 127.0.0.1)
in front of two real catchers: SMTP sessions through it land on both, and
the API, ``/api/v1/wait`` and the event stream through it see all the mail.
"""

from __future__ import annotations

import json
import re
import smtplib
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import ServeProcess
from tests.program import debian_program

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "team" / "nginx.conf"
#: Debian builds nginx's stream module (TCP proxying) as a module of its own.
STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")

Launch = Callable[..., ServeProcess]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def configuration(catchers: list[ServeProcess], smtp: int, web: int, folder: Path) -> str:
    """Return examples/team/nginx.conf pointed at ``catchers`` and listening on loopback."""
    text = CONFIG.read_text()
    for name, catcher in zip(("catcher-a", "catcher-b"), catchers, strict=True):
        text = text.replace(f"{name}:1025", "{}:{}".format(*catcher.smtp))
        text = text.replace(f"{name}:8025", catcher.url.removeprefix("http://"))
    text = text.replace("listen 25;", f"listen 127.0.0.1:{smtp};")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{web};")
    # This machine's own places for nginx's files, instead of Debian's defaults.
    text = text.replace(
        "http {", f"http {{\n    access_log off;\n    client_body_temp_path {folder}/body;"
    )
    modules = f"load_module {STREAM_MODULE};\n" if STREAM_MODULE.exists() else ""
    return f"{modules}pid {folder}/nginx.pid;\nerror_log stderr;\n{text}"


@pytest.fixture
def proxy(
    launch_serve: Launch, postgres_url: str, tmp_path: Path
) -> Iterator[tuple[list[ServeProcess], tuple[str, int], str]]:
    """Two catchers on one database behind nginx: (catchers, SMTP address, web URL)."""
    nginx = debian_program("nginx", "nginx libnginx-mod-stream (scripts/install-postgres)")
    catchers = [launch_serve(database=postgres_url) for _ in range(2)]
    smtp, web = free_port(), free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(configuration(catchers, smtp, web, tmp_path))
    started = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{web}"
        deadline = time.monotonic() + 30
        while True:  # until nginx listens and passes a request through
            assert started.poll() is None, started.communicate()[1]
            try:
                if httpx.get(f"{url}/readyz", timeout=5).text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
        yield catchers, ("127.0.0.1", smtp), url
    finally:
        started.terminate()
        started.communicate(timeout=15)


def send(address: tuple[str, int], subject: str) -> None:
    raw = f"From: app@example.test\r\nTo: team@example.test\r\nSubject: {subject}\r\n\r\nhi\r\n"
    with smtplib.SMTP(*address, timeout=30) as client:
        client.sendmail("app@example.test", ["team@example.test"], raw.encode())


def accepted(catcher: ServeProcess) -> int:
    """Return how many messages this catcher itself took over SMTP."""
    return int(catcher.get("/api/v1/info").json()["RuntimeStats"]["SMTPAccepted"])


def test_two_catchers_behind_the_documented_nginx_are_one_catcher(
    proxy: tuple[list[ServeProcess], tuple[str, int], str],
) -> None:
    catchers, smtp, url = proxy
    for number in range(6):  # a session each: nginx takes turns between the catchers
        send(smtp, f"Through the proxy {number}")
    assert [accepted(catcher) for catcher in catchers] == [3, 3]
    with httpx.Client(base_url=url, timeout=10) as web:
        totals = {web.get("/api/v1/messages").json()["total"] for _ in range(4)}
        assert totals == {6}  # whichever catcher answered

        answers: list[httpx.Response] = []
        params = {"query": "subject:invoice", "timeout": "20"}
        waiting = threading.Thread(
            target=lambda: answers.append(web.get("/api/v1/wait", params=params, timeout=30))
        )
        host = url.removeprefix("http://")
        with connect(f"ws://{host}/api/events", open_timeout=30) as events:
            waiting.start()
            httpx.get(f"{url}/readyz", timeout=10)
            send(smtp, "Invoice 7")
            while (frame := json.loads(events.recv(timeout=10)))["Type"] != "new":
                pass
            assert frame["Data"]["Subject"] == "Invoice 7"
        waiting.join(timeout=30)
        assert [(a.status_code, a.json()["Subject"]) for a in answers] == [(200, "Invoice 7")]
        page = web.get("/")
        assert page.status_code == 200 and re.search(r"Through the proxy \d", page.text)
