"""The checks of :class:`~pochta.config.settings.Settings` that span fields, and a setting's names.

A single value is read and checked by its ``parse_*`` function
(:mod:`pochta.config.value`); what only makes sense with another setting
(``--smtp-tls-cert`` without ``--smtp-tls-key``, ``--ui-mailbox`` without
``--ui-auth-file``) is checked here, once the whole :class:`Settings` exists.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pochta.config.value import parse_regex, parse_url
from pochta.exceptions import ConfigurationError

if TYPE_CHECKING:
    from pochta.config.settings import Settings

__all__ = ["check_settings", "envvar_of", "flag_of"]


def check_settings(settings: Settings) -> None:
    """Raise :class:`~pochta.exceptions.ConfigurationError` for settings that contradict."""
    counts = ("smtp_max_recipients", "smtp_max_connections", "smtp_max_bad_commands")
    for name in ("max", "webhook_limit", *counts):
        value = getattr(settings, name)
        if not isinstance(value, int) or value < 0:
            raise ConfigurationError(
                f"{flag_of(name)} {value!r} is not a count; give 0 or a positive whole number"
            )
    for name in ("smtp_max_recipients", "smtp_max_bad_commands"):
        if getattr(settings, name) == 0:
            harm = (
                "close a connection at its first mistake" if "bad" in name else "refuse all mail"
            )
            raise ConfigurationError(f"{flag_of(name)} 0 would {harm}; give 1 or more")
    if settings.max_message_size <= 0:
        raise ConfigurationError(
            f"--max-message-size {settings.max_message_size!r} must be more than 0; give e.g. 50M"
        )
    if (settings.smtp_tls_cert is None) != (settings.smtp_tls_key is None):
        raise ConfigurationError(
            "--smtp-tls-cert and --smtp-tls-key go together; give both, or neither "
            "for a self-signed certificate"
        )
    if (settings.pop3_tls_cert is None) != (settings.pop3_tls_key is None):
        raise ConfigurationError(
            "--pop3-tls-cert and --pop3-tls-key go together; give both, or neither"
        )
    if settings.smtp_auth_file is not None and settings.smtp_auth_accept_any:
        raise ConfigurationError(
            "--smtp-auth-file and --smtp-auth-accept-any contradict each other; give one"
        )
    if (settings.ui_tls_cert is None) != (settings.ui_tls_key is None):
        raise ConfigurationError("--ui-tls-cert and --ui-tls-key go together; give both")
    if settings.send_api_auth_file is not None and settings.send_api_auth_accept_any:
        raise ConfigurationError(
            "--send-api-auth-file and --send-api-auth-accept-any contradict each other; give one"
        )
    for folder in settings.watch:
        if folder.exists() and not folder.is_dir():
            raise ConfigurationError(
                f"--watch {folder} is a file; give the folder EMAIL_FILE_PATH names"
            )
    if settings.ui_mailbox and settings.ui_auth_file is None:
        raise ConfigurationError(
            "--ui-mailbox limits the logins of --ui-auth-file; give --ui-auth-file too"
        )
    if settings.mailbox_login and not (settings.smtp_auth_file or settings.smtp_auth_accept_any):
        raise ConfigurationError(
            "--mailbox-login needs SMTP logins; give --smtp-auth-file or "
            "--smtp-auth-accept-any too"
        )
    for name in ("smtp_relay_matching", "smtp_allowed_recipients"):
        parse_regex(getattr(settings, name), name=flag_of(name))
    parse_url(settings.webhook_url, name="--webhook-url")
    for host in settings.allowed_host:
        if not re.fullmatch(r"[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]", host):
            raise ConfigurationError(
                f"--allowed-host {host!r} is not a host name; give e.g. mail.test"
            )


def flag_of(name: str) -> str:
    """Return the flag of the :class:`Settings` field ``name``: ``max_age`` is ``--max-age``."""
    return "--" + name.replace("_", "-")


def envvar_of(name: str) -> str:
    """Return the environment variable of the field ``name``: ``POCHTA_MAX_AGE``."""
    return "POCHTA_" + name.upper()
