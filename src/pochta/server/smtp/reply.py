"""Every reply pochta's SMTP server sends, as named constants.

Each reply carries its enhanced status code (RFC 3463, advertised as
ENHANCEDSTATUSCODES, RFC 2034). A constant is a complete line with its CRLF;
replies that carry a value (the greeting, the stored id, EHLO keywords) are
built by the small functions at the end.
"""

from __future__ import annotations

import re

__all__ = [
    "AUTH_ABORTED",
    "AUTH_ALREADY",
    "AUTH_BAD_BASE64",
    "AUTH_FAILED",
    "AUTH_IN_TRANSACTION",
    "AUTH_MECHANISM",
    "AUTH_NOT_AVAILABLE",
    "AUTH_OK",
    "AUTH_REQUIRED",
    "BAD_BODY",
    "BAD_MAILBOX",
    "BAD_SIZE",
    "BYE",
    "DATA_GO_AHEAD",
    "HELP",
    "LINE_TOO_LONG",
    "LOCAL_ERROR",
    "MUST_STARTTLS",
    "NEED_HELO",
    "NEED_MAIL",
    "NEED_RCPT",
    "NESTED_MAIL",
    "NON_ASCII_ADDRESS",
    "OK_MAIL",
    "OK_NOOP",
    "OK_QUEUED",
    "OK_RCPT",
    "OK_RESET",
    "READY_TLS",
    "RECIPIENT_REFUSED",
    "SHUTTING_DOWN",
    "STORE_FULL",
    "SYNTAX_ARGS",
    "SYNTAX_ERROR",
    "SYNTAX_PARAMS",
    "TIMEOUT",
    "TLS_ALREADY",
    "TLS_NOT_AVAILABLE",
    "TOO_MANY_CONNECTIONS",
    "TOO_MANY_ERRORS",
    "TOO_MANY_RECIPIENTS",
    "UNABLE_TO_PROCESS",
    "UNKNOWN_COMMAND",
    "UNKNOWN_PARAMS",
    "VRFY_CANNOT",
    "auth_challenge",
    "ehlo_reply",
    "greeting",
    "helo_reply",
    "stored",
    "too_big",
    "upstream_reply",
]


# 2xx: done
OK_MAIL = b"250 2.1.0 OK\r\n"
OK_RCPT = b"250 2.1.5 OK\r\n"
OK_RESET = b"250 2.0.0 OK\r\n"
OK_NOOP = b"250 2.0.0 OK\r\n"
OK_QUEUED = b"250 2.0.0 OK: queued\r\n"  # accepted and dropped: no recipient left, or a duplicate
BYE = b"221 2.0.0 Bye\r\n"
HELP = b"214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP AUTH STARTTLS\r\n"
READY_TLS = b"220 2.0.0 Ready to start TLS\r\n"
AUTH_OK = b"235 2.7.0 Authentication successful\r\n"
VRFY_CANNOT = b"252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery\r\n"

# 3xx: go on
DATA_GO_AHEAD = b"354 End data with <CR><LF>.<CR><LF>\r\n"

# 4xx: try again later
SHUTTING_DOWN = b"421 4.3.2 Service shutting down, closing connection\r\n"
TIMEOUT = b"421 4.4.2 Idle for too long, closing connection\r\n"
TOO_MANY_CONNECTIONS = b"421 4.7.0 Too many connections, try again later\r\n"
TOO_MANY_ERRORS = b"421 4.7.0 Too many bad commands, closing connection\r\n"
UNABLE_TO_PROCESS = b"451 4.3.5 Unable to process mail\r\n"  # relay failed, no upstream reply
LOCAL_ERROR = b"451 4.3.0 Local error in processing: message not stored\r\n"
STORE_FULL = b"452 4.3.1 Insufficient system storage\r\n"
TOO_MANY_RECIPIENTS = b"452 4.5.3 Too many recipients\r\n"
TLS_NOT_AVAILABLE = b"454 4.7.0 TLS not available\r\n"

# 5xx: refused
UNKNOWN_COMMAND = b"500 5.5.1 Command not recognized\r\n"
SYNTAX_ERROR = b"500 5.5.2 Syntax error: commands are UTF-8 text\r\n"
LINE_TOO_LONG = b"500 5.5.2 Line too long\r\n"
SYNTAX_ARGS = b"501 5.5.4 Syntax error in parameters or arguments\r\n"
AUTH_BAD_BASE64 = b"501 5.5.2 Cannot decode the AUTH response (base64)\r\n"
AUTH_ABORTED = b"501 5.7.0 Authentication aborted\r\n"
AUTH_NOT_AVAILABLE = b"502 5.5.1 AUTH is not enabled on this server\r\n"
NEED_HELO = b"503 5.5.1 Send EHLO or HELO first\r\n"
NEED_MAIL = b"503 5.5.1 Send MAIL first\r\n"
NEED_RCPT = b"503 5.5.1 Send RCPT first\r\n"
NESTED_MAIL = b"503 5.5.1 A MAIL transaction is already open; send RSET first\r\n"
AUTH_ALREADY = b"503 5.5.1 Already authenticated\r\n"
AUTH_IN_TRANSACTION = b"503 5.5.1 AUTH is not allowed during a mail transaction\r\n"
TLS_ALREADY = b"503 5.5.1 TLS is already active\r\n"
AUTH_MECHANISM = b"504 5.5.4 Unrecognized authentication mechanism; use PLAIN or LOGIN\r\n"
AUTH_REQUIRED = b"530 5.7.0 Authentication required\r\n"
MUST_STARTTLS = b"530 5.7.0 Must issue a STARTTLS command first\r\n"
AUTH_FAILED = b"535 5.7.8 Authentication credentials invalid\r\n"
RECIPIENT_REFUSED = b"550 5.1.0 Requested action not taken: mailbox unavailable\r\n"
BAD_MAILBOX = b"553 5.1.3 Mailbox name not allowed: bad address syntax\r\n"
NON_ASCII_ADDRESS = b"553 5.6.7 Non-ASCII addresses need the SMTPUTF8 parameter\r\n"
BAD_SIZE = b"501 5.5.4 SIZE must be a decimal number\r\n"
BAD_BODY = b"501 5.5.4 BODY must be 7BIT or 8BITMIME\r\n"
SYNTAX_PARAMS = b"501 5.5.4 Parameters need the form KEYWORD or KEYWORD=value\r\n"
UNKNOWN_PARAMS = b"555 5.5.4 Parameter not recognized or not implemented\r\n"


def greeting(hostname: str) -> bytes:
    """Return the 220 line sent when a client connects."""
    return f"220 {hostname} ESMTP pochta\r\n".encode()


def helo_reply(hostname: str) -> bytes:
    """Return the one-line answer to HELO."""
    return f"250 {hostname}\r\n".encode()


def ehlo_reply(hostname: str, keywords: list[str]) -> bytes:
    """Return the multi-line answer to EHLO: the host name, then one keyword a line."""
    lines = [hostname, *keywords]
    last = len(lines) - 1
    return b"".join(
        f"250{' ' if i == last else '-'}{line}\r\n".encode() for i, line in enumerate(lines)
    )


def auth_challenge(prompt: bytes) -> bytes:
    """Return a 334 continuation carrying an already base64-encoded prompt."""
    return b"334 " + prompt + b"\r\n"


def stored(message_id: str) -> bytes:
    """Return the 250 sent once a message is durably in the store ("" id: it was dropped)."""
    if not message_id:
        return OK_QUEUED
    return f"250 2.0.0 OK: queued as {message_id}\r\n".encode()


def too_big(limit: int) -> bytes:
    """Return the 552 for a message over ``limit`` bytes, naming the limit (RFC 1870 6.1)."""
    shown = f"{limit} bytes"
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if limit % size == 0:  # as --max-message-size writes it: 50M
            shown += f" ({limit // size}{unit})"
            break
    return f"552 5.3.4 Message size exceeds the limit of {shown}\r\n".encode()


def upstream_reply(text: str) -> bytes:
    """Return an upstream server's refusal (``550 5.1.1 ...``) as ours, or 451 if it is not one.

    Only a 4xx or 5xx passes: the message was not kept, so the client must
    never read success into the answer (an upstream's ``252`` to RCPT is a
    refusal to smtplib, but a 2xx to a client).
    """
    line = " ".join(text.split())
    if re.fullmatch(r"[45][0-9]{2}[ -].+", line) and line.isascii():
        return line[:3].encode() + b" " + line[4:510].encode() + b"\r\n"
    return UNABLE_TO_PROCESS
