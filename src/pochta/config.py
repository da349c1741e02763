"""The settings of ``pochta serve``, each declared once.

Every field of :class:`Settings` carries its default and one line of help.
The click options of ``pochta serve`` are generated from these fields
(:func:`pochta.cli.option.serve_options`), so a setting has one name everywhere: the field
``max_age`` is the flag ``--max-age``, the environment variable
``POCHTA_MAX_AGE`` and the line ``--max-age`` in ``docs/serve.md``.

Text values from the command line or the environment go through the
``parse_*`` functions below; they raise :class:`~pochta.exceptions.ConfigurationError`
with a message that names the value and the fix.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pochta.exceptions import ConfigurationError

__all__ = [
    "DEFAULT_DATABASE",
    "HostPort",
    "Settings",
    "envvar_of",
    "flag_of",
    "parse_count",
    "parse_duration",
    "parse_host_port",
    "parse_setting",
    "parse_size",
]

#: Where ``pochta serve`` keeps its mail when no ``--database`` is given: a
#: folder in the current directory, like ``.git`` (add ``.pochta/`` to ``.gitignore``).
DEFAULT_DATABASE = Path(".pochta") / "mail.db"


_MIB = 1024 * 1024
_SIZE_UNITS = {"": 1, "K": 1024, "M": _MIB, "G": 1024 * _MIB}
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


def _path(text: str, *, name: str = "path") -> Path:
    """Read a path (any text is one)."""
    return Path(text)


def _help(
    text: str,
    *,
    parse: Callable[..., Any] | None = None,
    shown: str = "",
    metavar: str = "",
) -> Any:
    """Build field metadata: the help line, the text parser, the default as shown, the metavar.

    ``parse(text, name=flag)`` reads the text of a flag or variable; see :func:`parse_setting`.
    """
    return {"help": text, "parse": parse, "shown": shown, "metavar": metavar}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``pochta serve`` can be told; each field is one flag and one variable.

    Build it directly in code (``Settings(smtp=HostPort("127.0.0.1", 0))``) or
    let ``pochta serve`` build it from flags and ``POCHTA_*`` variables.
    Invalid values raise :class:`~pochta.exceptions.ConfigurationError`.
    """

    smtp: HostPort = field(
        default=HostPort("127.0.0.1", 1025),
        metadata=_help(
            "Address the SMTP server listens on (port 0 picks a free port).",
            parse=parse_host_port,
            shown="127.0.0.1:1025",
            metavar="HOST:PORT",
        ),
    )
    listen: HostPort = field(
        default=HostPort("127.0.0.1", 8025),
        metadata=_help(
            "Address the web inbox and JSON API listen on (port 0 picks a free port).",
            parse=parse_host_port,
            shown="127.0.0.1:8025",
            metavar="HOST:PORT",
        ),
    )
    database: Path = field(
        default=DEFAULT_DATABASE,
        metadata=_help(
            "SQLite file that keeps the mail; made with its folder if missing.",
            parse=_path,
            shown=str(DEFAULT_DATABASE),
            metavar="PATH",
        ),
    )
    temp: bool = field(
        default=False,
        metadata=_help("Keep the mail in a temporary store, deleted on exit."),
    )
    watch: tuple[Path, ...] = field(
        default=(),
        metadata=_help(
            "Folder of Django's file backend (EMAIL_FILE_PATH): import its mail as it is "
            "written (repeat for more folders).",
            metavar="DIR",
        ),
    )
    max: int = field(
        default=0,
        metadata=_help(
            "Keep at most this many messages, deleting the oldest; 0 keeps all.",
            parse=parse_count,
            shown="0",
            metavar="COUNT",
        ),
    )
    max_age: datetime.timedelta | None = field(
        default=None,
        metadata=_help(
            "Delete messages older than this (3d, 12h, 30m); by default, never.",
            parse=parse_duration,
            metavar="AGE",
        ),
    )
    max_message_size: int = field(
        default=50 * _MIB,
        metadata=_help(
            "Largest message accepted, in bytes or with K, M or G.",
            parse=parse_size,
            shown="50M",
            metavar="SIZE",
        ),
    )
    smtp_max_recipients: int = field(
        default=100,
        metadata=_help(
            "Most recipients in one SMTP transaction; more are answered 452.",
            parse=parse_count,
            shown="100",
            metavar="COUNT",
        ),
    )
    smtp_max_connections: int = field(
        default=100,
        metadata=_help(
            "Most SMTP connections open at once; more are answered 421.",
            parse=parse_count,
            shown="100",
            metavar="COUNT",
        ),
    )
    smtp_auth_file: Path | None = field(
        default=None,
        metadata=_help(
            "File of username:password lines; SMTP clients must log in with one.",
            parse=_path,
            metavar="PATH",
        ),
    )
    smtp_auth_accept_any: bool = field(
        default=False,
        metadata=_help("Offer SMTP AUTH and accept any username and password."),
    )
    smtp_tls_cert: Path | None = field(
        default=None,
        metadata=_help(
            "PEM certificate; with it the SMTP server offers STARTTLS.",
            parse=_path,
            metavar="PATH",
        ),
    )
    smtp_tls_key: Path | None = field(
        default=None,
        metadata=_help("PEM private key of --smtp-tls-cert.", parse=_path, metavar="PATH"),
    )
    smtp_require_starttls: bool = field(
        default=False,
        metadata=_help(
            "Refuse mail until the client has used STARTTLS (self-signed if no --smtp-tls-cert)."
        ),
    )
    allowed_host: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "Another Host name the web server answers to (repeat, or separate with commas).",
            metavar="NAME",
        ),
    )
    verbose: bool = field(
        default=False,
        metadata=_help("Log each message stored and each HTTP request to stderr."),
    )

    def __post_init__(self) -> None:
        for name in ("max", "smtp_max_recipients", "smtp_max_connections"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ConfigurationError(
                    f"{flag_of(name)} {value!r} is not a count; give 0 or a positive whole number"
                )
        for name in ("smtp_max_recipients", "smtp_max_connections"):
            if getattr(self, name) == 0:
                raise ConfigurationError(
                    f"{flag_of(name)} 0 would refuse all mail; give 1 or more"
                )
        if self.max_message_size <= 0:
            raise ConfigurationError(
                f"--max-message-size {self.max_message_size!r} must be more than 0; give e.g. 50M"
            )
        if (self.smtp_tls_cert is None) != (self.smtp_tls_key is None):
            raise ConfigurationError(
                "--smtp-tls-cert and --smtp-tls-key go together; give both, or neither "
                "for a self-signed certificate"
            )
        if self.smtp_auth_file is not None and self.smtp_auth_accept_any:
            raise ConfigurationError(
                "--smtp-auth-file and --smtp-auth-accept-any contradict each other; give one"
            )
        for folder in self.watch:
            if folder.exists() and not folder.is_dir():
                raise ConfigurationError(
                    f"--watch {folder} is a file; give the folder EMAIL_FILE_PATH names"
                )
        for host in self.allowed_host:
            if not re.fullmatch(r"[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]", host):
                raise ConfigurationError(
                    f"--allowed-host {host!r} is not a host name; give e.g. mail.test"
                )

    @property
    def smtp_auth_required(self) -> bool:
        """Tell whether SMTP clients must log in before sending."""
        return self.smtp_auth_file is not None


_FIELDS = {spec.name: spec for spec in dataclasses.fields(Settings)}


def parse_setting(name: str, text: str) -> Any:
    """Read ``text`` as the value of the :class:`Settings` field ``name``, as its flag would.

    Raises :class:`~pochta.exceptions.ConfigurationError` naming the flag
    (``--max-age 'soon' is not a duration; ...``).
    """
    parse = _FIELDS[name].metadata["parse"]
    if parse is None:
        raise ConfigurationError(f"{flag_of(name)} is not read from text; give it as a value")
    return parse(text, name=flag_of(name))


def flag_of(name: str) -> str:
    """Return the flag of the :class:`Settings` field ``name``: ``max_age`` is ``--max-age``."""
    return "--" + name.replace("_", "-")


def envvar_of(name: str) -> str:
    """Return the environment variable of the field ``name``: ``POCHTA_MAX_AGE``."""
    return "POCHTA_" + name.upper()
