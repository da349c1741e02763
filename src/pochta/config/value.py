"""The values settings take, read from text: addresses, sizes, durations, counts, paths.

Each ``parse_*`` function reads the text of a flag or environment variable and
raises :class:`~pochta.exceptions.ConfigurationError` with a message that
names the value and the fix.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from pochta.exceptions import ConfigurationError

__all__ = [
    "MIB",
    "HostPort",
    "parse_count",
    "parse_durability",
    "parse_duration",
    "parse_host_port",
    "parse_location",
    "parse_path",
    "parse_prometheus",
    "parse_regex",
    "parse_size",
    "parse_spamd",
    "parse_text",
    "parse_url",
    "parse_webroot",
]

MIB = 1024 * 1024
_SIZE_UNITS = {"": 1, "K": 1024, "M": MIB, "G": 1024 * MIB}
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True, slots=True)
class HostPort:
    """An address to listen on; port 0 asks the system for a free port."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        """Tell whether only this machine can reach the address."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_host_port(text: str, *, name: str = "address") -> HostPort:
    """Read ``HOST:PORT`` (``[::1]:1025`` for IPv6) into a :class:`HostPort`."""
    match = re.fullmatch(r"\[(?P<v6>[^\]]+)\]:(?P<p6>\d+)|(?P<host>[^:\[\]]+):(?P<port>\d+)", text)
    if match is None:
        raise ConfigurationError(
            f"{name} {text!r} is not HOST:PORT; give e.g. 127.0.0.1:1025, "
            f"0.0.0.0:1025 or [::1]:1025 (port 0 picks a free port)"
        )
    host = match["v6"] or match["host"]
    port = int(match["p6"] or match["port"])
    if port > 65535:
        raise ConfigurationError(f"{name} {text!r} has port {port}; give a port from 0 to 65535")
    if match["v6"]:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ConfigurationError(
                f"{name} {text!r}: {host!r} is not an IPv6 address; give e.g. [::1]:{port}"
            ) from None
    return HostPort(host, port)


def parse_size(text: str, *, name: str = "size") -> int:
    """Read a byte count: ``1048576``, ``512K``, ``50M``, ``1G`` (also ``50MB``, ``50MiB``)."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)(?:I?B)?\s*", text.upper())
    if match is None:
        raise ConfigurationError(
            f"{name} {text!r} is not a size; give bytes or a number with K, M or G, e.g. 50M"
        )
    size = int(match[1]) * _SIZE_UNITS[match[2]]
    if size <= 0:
        raise ConfigurationError(f"{name} {text!r} must be more than 0 bytes; give e.g. 50M")
    return size


def parse_duration(text: str, *, name: str = "duration") -> datetime.timedelta | None:
    """Read an age such as ``3d``, ``12h``, ``30m``, ``45s`` or ``1d12h``; empty is forever."""
    if not text.strip():
        return None
    parts = re.findall(r"(\d+)\s*([dhms])", text.strip().lower())
    rebuilt = "".join(n + unit for n, unit in parts)
    if not parts or rebuilt != re.sub(r"\s+", "", text.strip().lower()):
        raise ConfigurationError(
            f"{name} {text!r} is not a duration; give a number and a unit "
            f"(d, h, m or s), e.g. 3d, 12h, 30m, or nothing to keep mail forever"
        )
    seconds = sum(int(n) * _DURATION_UNITS[unit] for n, unit in parts)
    if seconds <= 0:
        raise ConfigurationError(f"{name} {text!r} is zero; give e.g. 3d, or nothing for forever")
    return datetime.timedelta(seconds=seconds)


def parse_count(text: str, *, name: str = "count") -> int:
    """Read a whole number of 0 or more."""
    if not re.fullmatch(r"\s*\d+\s*", text):
        raise ConfigurationError(
            f"{name} {text!r} is not a count; give 0 or a positive whole number"
        )
    return int(text)


def parse_path(text: str, *, name: str = "path") -> Path:
    """Read a path (any text is one)."""
    return Path(text)


def parse_location(text: str, *, name: str = "location") -> Path | str:
    """Read where a store lives: a file path (``~`` expanded), or a ``postgresql://`` URL.

    A URL is kept as written (its password too: it is needed to connect);
    another scheme is refused with the two choices.
    """
    scheme = re.match(r"([a-z][a-z0-9+.-]*)://", text.strip(), re.IGNORECASE)
    if scheme is None:
        return parse_path(text, name=name)
    if scheme.group(1).lower() not in ("postgresql", "postgres"):
        raise ConfigurationError(
            f"{name} {scheme.group(0)}... is not a store location; give a file path such as "
            ".pochta/mail.db, or a postgresql://user@host/database URL"
        )
    return text.strip()


def parse_text(text: str, *, name: str = "text") -> str:
    """Read a line of text: whitespace runs become one space, the ends are trimmed."""
    return " ".join(text.split())


def parse_regex(text: str, *, name: str = "pattern") -> str:
    """Read a regular expression (Python's ``re``, unanchored); empty means none."""
    try:
        re.compile(text)
    except re.error as error:
        raise ConfigurationError(
            f"{name} {text!r} is not a regular expression ({error}); "
            f"give one like '@example\\.com$'"
        ) from None
    return text


def parse_url(text: str, *, name: str = "url") -> str:
    """Read an http or https URL; empty means none."""
    url = text.strip()
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{name} {text!r} does not appear to be a valid URL; give one like "
            f"http://127.0.0.1:8000/hook"
        )
    return url


def parse_prometheus(text: str, *, name: str = "--enable-prometheus") -> HostPort | bool:
    """Read Mailpit's ``--enable-prometheus``: ``true`` (on the web port), ``false``, HOST:PORT."""
    value = text.strip().lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    try:
        return parse_host_port(value, name=name)
    except ConfigurationError:
        raise ConfigurationError(
            f"{name} {text!r} is neither true, false nor HOST:PORT; give true for /metrics "
            f"on the web port, or e.g. 127.0.0.1:9090 for a listener of its own"
        ) from None


def parse_spamd(text: str, *, name: str = "--enable-spamassassin") -> HostPort | None:
    """Read the address of a SpamAssassin ``spamd``: HOST:PORT (empty: no spam check)."""
    value = text.strip()
    if not value:
        return None
    if value.lower() == "postmark":
        raise ConfigurationError(
            f"{name} postmark would send every message to an outside service; pochta talks "
            f"only to a spamd you run: give its HOST:PORT, e.g. 127.0.0.1:783"
        )
    try:
        return parse_host_port(value, name=name)
    except ConfigurationError:
        raise ConfigurationError(
            f"{name} {text!r} is not HOST:PORT; give the address spamd listens on, "
            f"e.g. 127.0.0.1:783"
        ) from None


def parse_durability(text: str, *, name: str = "--durability") -> str:
    """Read what a ``250`` waits for: ``normal`` or ``full`` (see docs/store.md)."""
    value = text.strip().lower()
    if value not in ("normal", "full"):
        raise ConfigurationError(
            f"{name} {text!r} is not normal or full; give normal (a 250 once the message "
            f"is written, on the disk within 0.05 s) or full (a 250 once it is on the disk)"
        )
    return value


def parse_webroot(text: str, *, name: str = "--webroot") -> str:
    """Read a path prefix as Mailpit does (``mail`` is ``/mail/``; ``/`` is none)."""
    if not re.fullmatch(r"[0-9A-Za-z/_.@-]*", text) or ".." in text.split("/"):
        raise ConfigurationError(
            f"{name} {text!r} has characters a path prefix may not; use only "
            f"a-z A-Z 0-9 _ . - / @, e.g. /mail/"
        )
    inner = "/".join(piece for piece in text.split("/") if piece)
    return f"/{inner}/" if inner else "/"
