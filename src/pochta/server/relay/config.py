"""The relay and forward configuration: Mailpit's YAML files and ``POCHTA_SMTP_*`` variables.

``--smtp-relay-config FILE`` and ``--smtp-forward-config FILE`` take Mailpit's
files unchanged (``host``, ``port``, ``starttls``, ``tls``, ``allow-insecure``,
``auth``, ``username``, ``password``, ``secret``, ``return-path``,
``override-from``, ``forward-smtp-errors``; the relay adds
``allowed-recipients``, ``blocked-recipients`` and ``preserve-message-ids``,
the forward ``to``). As in Mailpit, each key may also come from an
environment variable (``POCHTA_SMTP_RELAY_HOST``, ``POCHTA_SMTP_FORWARD_TO``,
...: Mailpit's ``MP_`` names with pochta's prefix), and a key in the file wins
over its variable. Unlike Mailpit, an unknown key is an error (a misspelt
``allowed-recipients`` would otherwise let mail go anywhere).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from pochta.exceptions import ConfigurationError

__all__ = [
    "ForwardConfig",
    "RelayConfig",
    "Upstream",
    "bare_address",
    "load_forward_config",
    "load_relay_config",
]

_AUTH = {"": "none", "none": "none", "false": "none", "plain": "plain", "login": "login"}
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}
# key -> the variable suffix Mailpit reads it from (MP_SMTP_RELAY_<suffix>).
_UPSTREAM_KEYS = {
    "host": "HOST",
    "port": "PORT",
    "starttls": "STARTTLS",
    "tls": "TLS",
    "allow-insecure": "ALLOW_INSECURE",
    "auth": "AUTH",
    "username": "USERNAME",
    "password": "PASSWORD",
    "secret": "SECRET",
    "return-path": "RETURN_PATH",
    "override-from": "OVERRIDE_FROM",
    "forward-smtp-errors": "FWD_SMTP_ERRORS",
}
_RELAY_KEYS = {
    **_UPSTREAM_KEYS,
    "allowed-recipients": "ALLOWED_RECIPIENTS",
    "blocked-recipients": "BLOCKED_RECIPIENTS",
    "preserve-message-ids": "PRESERVE_MESSAGE_IDS",
    "recipient-allowlist": "",  # Mailpit's old name of allowed-recipients
}
_FORWARD_KEYS = {**_UPSTREAM_KEYS, "to": "TO"}


@dataclass(frozen=True, slots=True)
class Upstream:
    """An SMTP server pochta hands messages on to, and how it logs in there."""

    host: str
    port: int = 25
    starttls: bool = False
    tls: bool = False
    allow_insecure: bool = False
    auth: str = "none"
    """``none``, ``plain``, ``login`` or ``cram-md5``."""
    username: str = ""
    password: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    return_path: str = ""
    override_from: str = ""
    """A bare address, or empty."""
    forward_smtp_errors: bool = False
    """Answer the SMTP client with the upstream's refusal (keeping nothing) instead of logging."""

    @property
    def address(self) -> str:
        """Return ``host:port``, as Mailpit shows it."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """Where released (and auto-relayed) messages go, and to whom they may go."""

    upstream: Upstream
    allowed_recipients: re.Pattern[str] | None = None
    blocked_recipients: re.Pattern[str] | None = None
    preserve_message_ids: bool = False

    def refuses(self, address: str) -> str:
        """Return why ``address`` may not be relayed to ("allowlist", "blocklist"), or ""."""
        if self.allowed_recipients is not None and not self.allowed_recipients.search(address):
            return "allowlist"
        if self.blocked_recipients is not None and self.blocked_recipients.search(address):
            return "blocklist"
        return ""


@dataclass(frozen=True, slots=True)
class ForwardConfig:
    """Where every new message is copied to: fixed addresses through one upstream."""

    upstream: Upstream
    to: tuple[str, ...]


def load_relay_config(path: Path | None, environ: Mapping[str, str]) -> RelayConfig | None:
    """Read the relay configuration, or None when no host is set anywhere."""
    values = _gather("relay", path, environ, "POCHTA_SMTP_RELAY_", _RELAY_KEYS)
    if "recipient-allowlist" in values and not values.get("allowed-recipients"):
        values["allowed-recipients"] = values["recipient-allowlist"]
    if not values.get("host"):
        if path is not None:
            raise ConfigurationError(f"[relay] host not set in {path}; add host: <smtp server>")
        return None
    return RelayConfig(
        upstream=_upstream("relay", values),
        allowed_recipients=_pattern("relay", "allowed-recipients", values),
        blocked_recipients=_pattern("relay", "blocked-recipients", values),
        preserve_message_ids=_flag("relay", "preserve-message-ids", values),
    )


def load_forward_config(path: Path | None, environ: Mapping[str, str]) -> ForwardConfig | None:
    """Read the forward configuration, or None when neither a file nor a host is given."""
    values = _gather("forward", path, environ, "POCHTA_SMTP_FORWARD_", _FORWARD_KEYS)
    if not values.get("host") and not values.get("to") and path is None:
        return None
    if not values.get("host"):
        raise ConfigurationError("[forward] host not set; add host: <smtp server>")
    targets = [item.strip() for item in _text(values.get("to")).split(",") if item.strip()]
    if not targets:
        raise ConfigurationError("[forward] To addresses missing; add to: a@example.com, b@...")
    to = tuple(bare_address(item, what="[forward] To address") for item in targets)
    return ForwardConfig(upstream=_upstream("forward", values), to=to)


def bare_address(text: str, *, what: str) -> str:
    """Return the address in ``text`` (``"Me <me@x>"`` gives ``me@x``), or raise."""
    _name, address = parseaddr(text.strip())
    if not address or "@" not in address or re.search(r"[\s<>,]", address):
        raise ConfigurationError(
            f"{what} is not a valid email address: {text!r}; give one like a@example.com"
        )
    return address


def _gather(
    kind: str, path: Path | None, environ: Mapping[str, str], prefix: str, keys: dict[str, str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, suffix in keys.items():
        if suffix and environ.get(prefix + suffix, "") != "":
            values[key] = environ[prefix + suffix]
    if path is not None:
        values.update(_read_file(kind, path, keys))
    return values


def _read_file(kind: str, path: Path, keys: dict[str, str]) -> dict[str, Any]:
    import yaml  # only a configuration file needs it (a tenth of pochta serve's start)

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            f"[{kind}] configuration not found or readable: {path} ({error}); "
            f"give the path of a YAML file"
        ) from None
    except yaml.YAMLError as error:
        raise ConfigurationError(f"[{kind}] {path} is not valid YAML: {error}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigurationError(f"[{kind}] {path} must hold keys such as host: and port:")
    unknown = sorted(str(key) for key in loaded if key not in keys)
    if unknown:
        raise ConfigurationError(
            f"[{kind}] unknown key {unknown[0]!r} in {path}; the keys are "
            + ", ".join(sorted(keys))
        )
    return {str(key): value for key, value in loaded.items() if value is not None}


def _upstream(kind: str, values: dict[str, Any]) -> Upstream:
    auth_text = _text(values.get("auth")).lower()
    auth = "cram-md5" if auth_text.startswith("cram") else _AUTH.get(auth_text)
    if auth is None:
        raise ConfigurationError(
            f"[{kind}] authentication method not supported: {auth_text}; "
            f"give none, plain, login or cram-md5"
        )
    upstream = Upstream(
        host=_text(values["host"]),
        port=_port(kind, values.get("port")),
        starttls=_flag(kind, "starttls", values),
        tls=_flag(kind, "tls", values),
        allow_insecure=_flag(kind, "allow-insecure", values),
        auth=auth,
        username=_text(values.get("username")),
        password=_text(values.get("password")),
        secret=_text(values.get("secret")),
        return_path=_optional_address(kind, "return-path", values),
        override_from=_optional_address(kind, "override-from", values),
        forward_smtp_errors=_flag(kind, "forward-smtp-errors", values),
    )
    _check(kind, upstream)
    return upstream


def _check(kind: str, upstream: Upstream) -> None:
    if upstream.starttls and upstream.tls:
        raise ConfigurationError(
            f"[{kind}] TLS & STARTTLS cannot be required together; set one of tls: or starttls:"
        )
    if upstream.auth in ("plain", "login") and not (upstream.username and upstream.password):
        raise ConfigurationError(
            f"[{kind}] host username or password not set for {upstream.auth.upper()} "
            f"authentication; add username: and password:"
        )
    if upstream.auth == "cram-md5" and not (upstream.username and upstream.secret):
        raise ConfigurationError(
            f"[{kind}] host username or secret not set for CRAM-MD5 authentication; "
            f"add username: and secret:"
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _flag(kind: str, key: str, values: dict[str, Any]) -> bool:
    value = values.get(key, False)
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ConfigurationError(f"[{kind}] {key}: {value!r} is not true or false")


def _port(kind: str, value: Any) -> int:
    text = _text(value)
    if not text:
        return 25
    if not text.isdigit() or int(text) > 65535:
        raise ConfigurationError(f"[{kind}] port: {value!r} is not a port; give 1 to 65535")
    return int(text) or 25


def _pattern(kind: str, key: str, values: dict[str, Any]) -> re.Pattern[str] | None:
    text = _text(values.get(key))
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error as error:
        raise ConfigurationError(
            f"[{kind}] {key}: {text!r} is not a regular expression: {error}"
        ) from None


def _optional_address(kind: str, key: str, values: dict[str, Any]) -> str:
    text = _text(values.get(key))
    return bare_address(text, what=f"[{kind}] {key}") if text else ""
