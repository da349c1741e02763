"""A TLS client over memory buffers, for tests that must control what each write holds.

The SMTP and POP3 servers' STARTTLS/STLS tests use it to send a command in
the same TCP segment as the client's last handshake flight, which a busy
machine produces by chance with any ordinary client.
"""

from __future__ import annotations

import socket
import ssl

__all__ = ["MemoryTLSClient"]


class MemoryTLSClient:
    """A TLS client over memory buffers, so the test decides what goes into each write."""

    def __init__(self, sock: socket.socket) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock = sock
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname="localhost")

    def handshake_then_send(self, command: bytes) -> None:
        """Shake hands; send ``command`` in the same write as the client's last flight."""
        for _ in range(20):
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.sock.sendall(self.outgoing.read())
                self._receive()
        self.tls.write(command)
        self.sock.sendall(self.outgoing.read())

    def read_line(self) -> bytes:
        """Read decrypted bytes up to and including the first CRLF."""
        data = b""
        while b"\r\n" not in data:
            try:
                data += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self._receive()
        return data

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.incoming.write(chunk)
