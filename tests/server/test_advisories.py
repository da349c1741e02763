"""Mailpit's security advisories for the checks, each tried against a real ``pochta serve``.

* GHSA-mpf7-p9x7-96r3 / GHSA-j3fj-qppj-fmmc / GHSA-w4mc-hhc6-xp28: the link
  check fetching internal addresses, by name, by IPv6 transition address (and
  by redirect: ``tests/server/check/test_link_check.py``);
* GHSA-75mr-qw9x-3r39: a thumbnail of a decompression bomb;
* GHSA-fpxj-m5q8-vg4j / GHSA-28pq-6qxg-wg5r: unbounded JSON bodies.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import TYPE_CHECKING

import pytest

from tests.server.check.site import Site, serve_site
from tests.server.web.inbox_samples import send

if TYPE_CHECKING:
    from tests.conftest import ServeProcess


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """A real web site on 127.0.0.1: what an internal service looks like."""
    with serve_site() as running:
        yield running


def linking(*urls: str) -> bytes:
    """Return an HTML message linking to ``urls``."""
    message = EmailMessage()
    message["From"] = "app@example.com"
    message["To"] = "user@example.com"
    message["Subject"] = "links"
    message.set_content("".join(f'<p><a href="{url}">x</a></p>' for url in urls), subtype="html")
    return message.as_bytes()


def with_image(data: bytes) -> bytes:
    """Return a message with ``data`` attached as image/png."""
    message = EmailMessage()
    message["From"] = "app@example.com"
    message["To"] = "user@example.com"
    message["Subject"] = "picture"
    message.set_content("see the picture")
    message.add_attachment(data, "image", "png", filename="picture.png")
    return message.as_bytes()


def newest(served: ServeProcess) -> str:
    """Return the id of the newest message."""
    return str(served.get("/api/v1/messages?limit=1").json()["messages"][0]["ID"])


def peak_memory(served: ServeProcess) -> int:
    """Return the peak resident memory of the ``pochta serve`` process, in bytes."""
    with open(f"/proc/{served.process.pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def test_link_check_refuses_an_internal_address_by_name(
    serve_process: ServeProcess, site: Site
) -> None:
    port = site.url.rsplit(":", 1)[1]
    send(serve_process.smtp, linking(f"http://localhost:{port}/ok", f"{site.url}/ok"))
    answer = serve_process.get(f"/api/v1/message/{newest(serve_process)}/link-check").json()
    blocked = {"StatusCode": 451, "Status": "Blocked private/reserved address"}
    assert answer == {
        "Errors": 2,
        "Links": [
            {"URL": f"http://localhost:{port}/ok", **blocked},
            {"URL": f"{site.url}/ok", **blocked},
        ],
    }
    assert site.heard == []


@pytest.mark.parametrize(
    "host",
    [
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[::ffff:127.0.0.1]",  # IPv4-mapped
        "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254 (cloud metadata)
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo client 127.0.0.1
        "[fe80::5efe:a00:1]",  # ISATAP, link-local
        "100.64.0.1",  # CGNAT
        "198.18.0.1",  # benchmarking, not blocked by Mailpit 1.30.5
    ],
)
def test_link_check_refuses_transition_and_special_use_addresses(
    serve_process: ServeProcess, host: str
) -> None:
    send(serve_process.smtp, linking(f"http://{host}:8025/api/v1/info"))
    answer = serve_process.get(f"/api/v1/message/{newest(serve_process)}/link-check").json()
    assert answer["Links"][0]["StatusCode"] == 451


def test_allow_internal_http_requests_checks_your_own_app(
    launch_serve: Callable[..., ServeProcess], site: Site
) -> None:
    served = launch_serve("--allow-internal-http-requests")
    port = site.url.rsplit(":", 1)[1]
    send(served.smtp, linking(f"http://localhost:{port}/ok?app"))
    answer = served.get(f"/api/v1/message/{newest(served)}/link-check").json()
    assert answer["Links"][0]["StatusCode"] == 200
    assert "HEAD /ok?app" in site.heard


def bomb_png(width: int, height: int, rows: int) -> bytes:
    """Return a PNG declaring ``width`` × ``height`` with ``rows`` rows of real (black) data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    packer = zlib.compressobj(9)
    row = b"\x00" * (width * 3 + 1)
    data = b"".join(packer.compress(row) for _ in range(rows)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def blank_thumbnail(served: ServeProcess) -> bytes:
    """Return the thumbnail of a part that is no image: the blank canvas."""
    send(served.smtp, with_image(b"not an image at all"))
    return served.get(f"/api/v1/message/{newest(served)}/part/2/thumb").content


@pytest.mark.parametrize(("width", "height", "rows"), [(50_000, 50_000, 8), (8_000, 4_000, 4_000)])
def test_a_decompression_bomb_gets_a_blank_thumbnail_without_being_decoded(
    serve_process: ServeProcess, width: int, height: int, rows: int
) -> None:
    blank = blank_thumbnail(serve_process)
    send(serve_process.smtp, with_image(bomb_png(width, height, rows)))
    before = peak_memory(serve_process)
    answer = serve_process.get(f"/api/v1/message/{newest(serve_process)}/part/2/thumb")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.content == blank
    # Decoding 8000×4000 would take 96 MB at least.
    assert peak_memory(serve_process) - before < 40 * 1024 * 1024


def _pour(sock: socket.socket, head: bytes, total: int, sent: list[int], chunked: bool) -> None:
    try:
        sock.sendall(head)
        block = b"[" + b'"x",' * 16383 + b'"x"]'
        if chunked:
            block = b"%x\r\n%s\r\n" % (len(block), block)
        while sent[0] < total:
            sock.sendall(block)
            sent[0] += len(block)
    except OSError:
        pass  # the server stopped reading, as it should


@pytest.mark.parametrize(
    ("method", "path", "length"),
    [("PUT", "/api/v1/messages", True), ("DELETE", "/api/v1/messages", False),
     ("POST", "/api/v1/send", True), ("PUT", "/api/v1/tags", False)],
)  # fmt: skip
def test_a_100_mb_json_body_is_refused_before_it_is_read(
    serve_process: ServeProcess, method: str, path: str, length: bool
) -> None:
    total = 100 * 1024 * 1024
    host, port = serve_process.url.removeprefix("http://").rsplit(":", 1)
    framing = f"Content-Length: {total}" if length else "Transfer-Encoding: chunked"
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{framing}\r\n"
    head += "Content-Type: application/json\r\n\r\n"
    before = peak_memory(serve_process)
    sent = [0]
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        pour = threading.Thread(target=_pour, args=(sock, head.encode(), total, sent, not length))
        pour.start()
        answer = sock.recv(4096)
        sock.shutdown(socket.SHUT_RDWR)
        pour.join(30)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert sent[0] < total / 2
    assert peak_memory(serve_process) - before < 60 * 1024 * 1024
    deadline = time.monotonic() + 10
    while serve_process.get("/livez").text != "ok" and time.monotonic() < deadline:
        time.sleep(0.1)
