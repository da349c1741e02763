"""Messages and helpers the inbox tests share: a rich message, a hostile one, a recorder."""

from __future__ import annotations

import http.server
import smtplib
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n\x00\xff"


def png(width: int = 160, height: int = 80) -> bytes:
    """Return a small gradient PNG (a real image, so previews have something to show)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((40 + x, 90 + y, 200)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def rich_message(subject: str, link: str = "https://example.com/welcome") -> bytes:
    """Return a message with a text part, an HTML part, a cid: image and a PDF attachment."""
    message = EmailMessage()
    message["From"] = "Reports <reports@example.com>"
    message["To"] = "Boss <boss@example.org>"
    message["Cc"] = "team@example.org"
    message["Reply-To"] = "noreply@example.com"
    message["Subject"] = subject
    message["Date"] = "Thu, 05 Feb 2026 12:30:00 -0500"
    message.set_content(f"Plain text of the report.\nRead more: {link}\n")
    message.add_alternative(
        "<html><body><h2 style='color:#2457d6'>Monthly report</h2>"
        "<p>Revenue is <b>up</b> this month.</p>"
        '<p><img id="chart" src="cid:chart@example.com" alt="chart"></p>'
        f'<p><a href="{link}">Read more</a></p></body></html>',
        subtype="html",
    )
    payload = message.get_payload()
    assert isinstance(payload, list)
    html_part = payload[1]
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(png(), "image", "png", cid="<chart@example.com>", filename="chart.png")
    message.add_attachment(PDF, "application", "pdf", filename="report.pdf")
    return message.as_bytes()


def plain_message(
    subject: str, text: str, *, to: str = "user@example.com", tags: str = ""
) -> bytes:
    """Return a plain-text message (with an ``X-Tags`` header when ``tags`` is given)."""
    message = EmailMessage()
    if tags:
        message["X-Tags"] = tags
    message["From"] = "App <app@example.com>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    return message.as_bytes()


def hostile_message(inbox: str, remote: str) -> bytes:
    """Return an HTML message that tries every trick: scripts, handlers, forms, refresh."""
    html = f"""<!doctype html><html><head>
<meta http-equiv="refresh" content="1;url={inbox}/api/v1/messages?refresh">
<link rel="stylesheet" href="{remote}/style.css">
<script>alert("script"); fetch("/api/v1/messages", {{method: "DELETE"}});</script>
</head><body onload="alert('onload')">
<h1>You won!</h1>
<img src="nothing.png" onerror="alert('onerror')">
<img src="{remote}/pixel.png" alt="tracker">
<svg onload="alert('svg')"><circle r="5"/></svg>
<a id="js" href="javascript:alert('link')">claim</a>
<a id="top" href="{inbox}/api/v1/messages?top" target="_top">top</a>
<form id="form" action="{inbox}/api/v1/messages" method="post">
<input name="Read" value="true"><button id="go">send</button></form>
<form id="form-delete" action="/api/v1/messages" method="post"><button id="go2">go</button></form>
<iframe src="{inbox}/api/v1/messages?frame"></iframe>
<object data="{remote}/object"></object>
</body></html>"""
    message = EmailMessage()
    message["From"] = "Prize <prize@example.net>"
    message["To"] = "user@example.com"
    message["Subject"] = "You won"
    message.set_content(html, subtype="html")
    return message.as_bytes()


def send(smtp: tuple[str, int], raw: bytes, to: str = "user@example.com") -> None:
    """Send ``raw`` to the catcher over SMTP."""
    with smtplib.SMTP(*smtp, timeout=10) as client:
        client.sendmail("app@example.com", [to], raw)


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        image = self.path.endswith(".png")
        body, kind = (png(4, 4), "image/png") if image else (b"ok", "text/html")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def recorder() -> Iterator[tuple[str, list[str]]]:
    """Run an HTTP server on 127.0.0.1 that records each path asked; yield (url, paths)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.paths = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.paths  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
