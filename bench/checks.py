"""Measure what the web's locks and the checks cost, against real ``pochta serve`` processes.

Run: .venv/bin/python bench/checks.py [--repeat 200]

* the login: ``GET /api/v1/messages?limit=1`` over one keep-alive connection,
  on a catcher without a login and on one with ``--ui-auth-file`` (bcrypt,
  cost 10): the first request with a password pays bcrypt, later ones are
  remembered; medians, and their ratio to the open catcher's in the same run;
* a thumbnail: the first ``/thumb`` of a 4000×3000 PNG (decoded, scaled),
  the same again (cached), and the refusal of a 50,000×50,000 PNG bomb,
  beside ``GET /livez`` measured in the same run;
* the link check of a message with 20 links to a local HTTP server
  (``--allow-internal-http-requests``), first and cached.

Nothing is asserted; the figures are printed.
"""

from __future__ import annotations

import argparse
import http.server
import io
import smtplib
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from email.message import EmailMessage
from pathlib import Path

import bcrypt
import httpx
from PIL import Image

from pochta.testing import PochtaServer


def median_ms(client: httpx.Client, path: str, repeat: int) -> float:
    """Return the median time of ``repeat`` GETs of ``path``, in milliseconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def once_ms(client: httpx.Client, path: str) -> float:
    """Return the time of one GET of ``path``, in milliseconds."""
    began = time.perf_counter()
    client.get(path).raise_for_status()
    return (time.perf_counter() - began) * 1000


def send(served: PochtaServer, raw: bytes) -> None:
    """Send ``raw`` over SMTP."""
    with smtplib.SMTP(served.smtp_host, served.smtp_port, timeout=30) as client:
        client.sendmail("app@example.com", ["user@example.com"], raw)


def with_attachment(data: bytes) -> bytes:
    """Return a message with ``data`` as a PNG attachment."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "img"
    message.set_content("picture")
    message.add_attachment(data, "image", "png", filename="p.png")
    return message.as_bytes()


def bomb() -> bytes:
    """Return a PNG declaring 50,000×50,000 pixels in a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 150_001 * 4)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def newest(client: httpx.Client) -> str:
    """Return the newest message's id, once it is listed."""
    for _ in range(200):
        found = client.get("/api/v1/messages?limit=1").json()["messages"]
        if found:
            return str(found[0]["ID"])
        time.sleep(0.05)
    raise RuntimeError("no message arrived")


def bench_login(folder: Path, repeat: int) -> None:
    users = folder / "ui.htpasswd"
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(10)).decode()
    users.write_text(f"alice:{hashed}\n")
    plain = PochtaServer.start(database=folder / "open.db")
    locked = PochtaServer.start("--ui-auth-file", str(users), database=folder / "locked.db")
    try:
        with (
            httpx.Client(base_url=plain.url) as a,
            httpx.Client(base_url=locked.url, auth=("alice", "s3cret")) as b,
        ):
            path = "/api/v1/messages?limit=1"
            open_ms = median_ms(a, path, repeat)
            first = once_ms(b, path)
            locked_ms = median_ms(b, path, repeat)
        print(
            f"login: open catcher {open_ms:.2f} ms; with --ui-auth-file first {first:.1f} ms "
            f"(bcrypt), then {locked_ms:.2f} ms ({locked_ms / open_ms:.2f}x the open one)"
        )
    finally:
        plain.stop()
        locked.stop()


def bench_thumbnail(folder: Path, repeat: int) -> None:
    served = PochtaServer.start(database=folder / "thumb.db")
    picture = io.BytesIO()
    Image.effect_noise((4000, 3000), 60).convert("RGB").save(picture, "PNG", compress_level=1)
    try:
        with httpx.Client(base_url=served.url, timeout=60) as client:
            livez = median_ms(client, "/livez", repeat)
            send(served, with_attachment(picture.getvalue()))
            big = newest(client)
            first = once_ms(client, f"/api/v1/message/{big}/part/2/thumb")
            cached = median_ms(client, f"/api/v1/message/{big}/part/2/thumb", repeat)
            send(served, with_attachment(bomb()))
            time.sleep(0.5)
            refused = once_ms(client, f"/api/v1/message/{newest(client)}/part/2/thumb")
        print(
            f"thumbnail: /livez {livez:.2f} ms; 4000x3000 PNG first {first:.0f} ms "
            f"({first / livez:.0f}x), cached {cached:.2f} ms ({cached / livez:.1f}x); "
            f"50000x50000 bomb refused in {refused:.1f} ms ({refused / livez:.1f}x)"
        )
    finally:
        served.stop()


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def bench_links(folder: Path) -> None:
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    served = PochtaServer.start("--allow-internal-http-requests", database=folder / "links.db")
    base = f"http://127.0.0.1:{site.server_address[1]}"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "l"
    message.set_content("\n".join(f"{base}/page/{n}" for n in range(20)))
    try:
        with httpx.Client(base_url=served.url, timeout=60) as client:
            send(served, message.as_bytes())
            path = f"/api/v1/message/{newest(client)}/link-check"
            first, again = once_ms(client, path), once_ms(client, path)
        print(
            f"link check of 20 local links: first {first:.0f} ms, cached {again:.1f} ms "
            f"({first / again:.0f}x)"
        )
    finally:
        served.stop()
        site.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}; {subprocess.getoutput('nproc')} cores")
    with tempfile.TemporaryDirectory(prefix="pochta-bench-checks-") as folder:
        bench_login(Path(folder), args.repeat)
        bench_thumbnail(Path(folder), args.repeat)
        bench_links(Path(folder))


if __name__ == "__main__":
    main()
