"""A real HTTP server on loopback for the link check tests: paths answer as their names say.

``/ok`` 200, ``/missing`` 404, ``/no-head`` 405 to HEAD but 200 to GET,
``/slow`` answers after two seconds, ``/to?url=...`` redirects (302) to ``url``,
``/loop`` redirects to itself. Every request is recorded as ``"METHOD path"``.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit


@dataclass
class Site:
    """A running test site: its base URL and the requests it heard."""

    url: str
    heard: list[str] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    site: Site

    def _answer(self, method: str) -> None:
        self.server.site.heard.append(f"{method} {self.path}")  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        if parts.path == "/to":
            self._send(302, {"Location": parse_qs(parts.query)["url"][0]})
        elif parts.path == "/loop":
            self._send(302, {"Location": "/loop"})
        elif parts.path == "/missing":
            self._send(404)
        elif parts.path == "/no-head" and method == "HEAD":
            self._send(405)
        elif parts.path == "/slow":
            time.sleep(2)
            self._send(200)
        else:
            self._send(200)

    def _send(self, code: int, headers: dict[str, str] | None = None) -> None:
        body = b"" if self.command == "HEAD" else b"hello"
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if body else 5))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_GET(self) -> None:
        self._answer("GET")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_site(host: str = "127.0.0.1") -> Iterator[Site]:
    """Run the test site on ``host`` (a free port) until the block ends."""
    server = http.server.ThreadingHTTPServer((host, 0), _Handler)
    server.daemon_threads = True
    site = Site(f"http://{host}:{server.server_address[1]}")
    server.site = site  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
