"""The warnings ``pochta serve`` prints for each server other machines can reach unguarded.

Each names the flag that closes the gap: a login for SMTP, POP3 and the
inbox, HTTPS for an inbox whose passwords would cross the network in clear.
"""

from __future__ import annotations

from pochta.config import HostPort, Settings

__all__ = ["exposure_warnings"]


def exposure_warnings(settings: Settings) -> list[str]:
    """Return a warning for each server reachable from other machines without a login."""
    warnings = []
    if not settings.smtp.is_loopback and not settings.smtp_auth_required:
        warnings.append(
            f"SMTP on {settings.smtp} accepts mail from anyone who can reach it; "
            f"give --smtp-auth-file to require a login"
        )
    pop3 = settings.pop3_address
    if pop3 is not None and not pop3.is_loopback and settings.pop3_auth_file is None:
        warnings.append(
            f"POP3 on {pop3} lets anyone who can reach it read and delete the mail; "
            f"give --pop3-auth-file to require a login"
        )
    if not settings.listen.is_loopback and settings.ui_auth_file is None:
        warnings.append(
            f"the API and inbox on {settings.listen} have no login: anyone who can "
            f"reach them can read and delete the mail; give --ui-auth-file to require one"
        )
    elif not settings.listen.is_loopback and settings.ui_tls_cert is None:
        warnings.append(
            f"the inbox on {settings.listen} takes passwords over plain HTTP; give "
            f"--ui-tls-cert and --ui-tls-key to serve it over HTTPS"
        )
    metrics = settings.enable_prometheus
    if isinstance(metrics, HostPort) and not metrics.is_loopback:
        warnings.append(
            f"the metrics on {metrics} have no login (tag names show there); "
            f"give --enable-prometheus true to serve them behind the inbox's login"
        )
    return warnings
