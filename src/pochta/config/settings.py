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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pochta.config.check import check_settings, envvar_of, flag_of
from pochta.config.value import (
    MIB,
    HostPort,
    parse_count,
    parse_durability,
    parse_duration,
    parse_host_port,
    parse_location,
    parse_path,
    parse_prometheus,
    parse_regex,
    parse_size,
    parse_spamd,
    parse_text,
    parse_url,
    parse_webroot,
)
from pochta.exceptions import ConfigurationError
from pochta.store.mailbox import MailboxGrant, MailboxRule, Routing

__all__ = ["DEFAULT_DATABASE", "Settings", "envvar_of", "flag_of", "parse_setting"]

#: Where ``pochta serve`` keeps its mail when no ``--database`` is given: a
#: folder in the current directory, like ``.git`` (add ``.pochta/`` to ``.gitignore``).
DEFAULT_DATABASE = Path(".pochta") / "mail.db"
_METAVARS: dict[Any, str] = {parse_path: "PATH", parse_spamd: "HOST:PORT", parse_webroot: "PATH"}


def setting(
    default: Any,
    help: str,
    *,
    parse: Callable[..., Any] | None = None,
    shown: str = "",
    metavar: str = "",
) -> Any:
    """Declare one field of :class:`Settings`: its default, help line, text parser and metavar.

    ``parse(text, name=flag)`` reads the text of a flag or variable (see
    :func:`parse_setting`); ``shown`` is the default as ``--help`` prints it.
    """
    metavar = metavar or _METAVARS.get(parse, "")
    metadata = {"help": help, "parse": parse, "shown": shown, "metavar": metavar}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``pochta serve`` can be told; each field is one flag and one variable.

    Build it directly in code (``Settings(smtp=HostPort("127.0.0.1", 0))``) or
    let ``pochta serve`` build it from flags and ``POCHTA_*`` variables.
    Invalid values raise :class:`~pochta.exceptions.ConfigurationError`.
    """

    smtp: HostPort = setting(
        HostPort("127.0.0.1", 1025),
        "Address the SMTP server listens on (port 0 picks a free port).",
        parse=parse_host_port,
        shown="127.0.0.1:1025",
        metavar="HOST:PORT",
    )
    listen: HostPort = setting(
        HostPort("127.0.0.1", 8025),
        "Address the web inbox and JSON API listen on (port 0 picks a free port).",
        parse=parse_host_port,
        shown="127.0.0.1:8025",
        metavar="HOST:PORT",
    )
    database: Path | str = setting(
        DEFAULT_DATABASE,
        "SQLite file that keeps the mail (made with its folder if missing), or a "
        "postgresql://user@host/db URL that several catchers share.",
        parse=parse_location,
        shown=str(DEFAULT_DATABASE),
        metavar="PATH",
    )
    temp: bool = setting(
        False,
        "Keep the mail in a temporary store, deleted on exit.",
    )
    durability: str = setting(
        "normal",
        "What a 250 waits for: normal (written; on the disk within 0.05 s) or full (on the disk).",
        parse=parse_durability,
        shown="normal",
        metavar="normal|full",
    )
    watch: tuple[Path, ...] = setting(
        (),
        "Folder of Django's file backend (EMAIL_FILE_PATH): import its mail as it is "
        "written (repeat for more folders).",
        metavar="DIR",
    )
    max: int = setting(
        0,
        "Keep at most this many messages, deleting the oldest; 0 keeps all.",
        parse=parse_count,
        shown="0",
        metavar="COUNT",
    )
    max_age: datetime.timedelta | None = setting(
        None,
        "Delete messages older than this (3d, 12h, 30m); by default, never.",
        parse=parse_duration,
        metavar="AGE",
    )
    max_message_size: int = setting(
        50 * MIB,
        "Largest message accepted, in bytes or with K, M or G.",
        parse=parse_size,
        shown="50M",
        metavar="SIZE",
    )
    smtp_max_recipients: int = setting(
        100,
        "Most recipients in one SMTP transaction; more are answered 452.",
        parse=parse_count,
        shown="100",
        metavar="COUNT",
    )
    smtp_max_connections: int = setting(
        0,
        "Most SMTP connections open at once; more are answered 421. 0: as many as "
        "the open-file limit allows, keeping a quarter for the store and HTTP (at most 10000).",
        parse=parse_count,
        shown="0",
        metavar="COUNT",
    )
    smtp_max_bad_commands: int = setting(
        10,
        "Close an SMTP connection with 421 at this many unknown or malformed commands "
        "or failed logins.",
        parse=parse_count,
        shown="10",
        metavar="COUNT",
    )
    smtp_auth_file: Path | None = setting(
        None,
        "File of username:password lines; SMTP clients must log in with one.",
        parse=parse_path,
        metavar="PATH",
    )
    smtp_auth_accept_any: bool = setting(
        False,
        "Offer SMTP AUTH and accept any username and password.",
    )
    smtp_tls_cert: Path | None = setting(
        None,
        "PEM certificate; with it the SMTP server offers STARTTLS.",
        parse=parse_path,
        metavar="PATH",
    )
    smtp_tls_key: Path | None = setting(
        None,
        "PEM private key of --smtp-tls-cert.",
        parse=parse_path,
        metavar="PATH",
    )
    smtp_require_starttls: bool = setting(
        False,
        "Refuse mail until the client has used STARTTLS (self-signed if no --smtp-tls-cert).",
    )
    pop3: HostPort | None = setting(
        None,
        "Address of a POP3 server over the stored mail; off unless given (or "
        "127.0.0.1:1110 with --pop3-auth-file).",
        parse=parse_host_port,
        metavar="HOST:PORT",
    )
    pop3_auth_file: Path | None = setting(
        None,
        "htpasswd file (bcrypt, MD5, SHA or plain) of POP3 users; without it any login works.",
        parse=parse_path,
        metavar="PATH",
    )
    pop3_tls_cert: Path | None = setting(
        None,
        "PEM certificate; with it the POP3 port speaks TLS from the first byte (POP3S).",
        parse=parse_path,
        metavar="PATH",
    )
    pop3_tls_key: Path | None = setting(
        None,
        "PEM private key of --pop3-tls-cert.",
        parse=parse_path,
        metavar="PATH",
    )
    pop3_stls: bool = setting(
        False,
        "Offer STLS on a plain POP3 port and take logins only after it (self-signed if "
        "no --pop3-tls-cert).",
    )
    # Chaos (docs/sending.md): SMTP failures on purpose, Mailpit's and pochta's.
    enable_chaos: bool = setting(
        False,
        "Turn chaos on: GET/PUT /api/v1/chaos set failures while serving.",
    )
    chaos_triggers: str | None = setting(
        None,
        "Mailpit's triggers, e.g. Sender:451:50,Recipient:451:50 (turns chaos on).",
        parse=lambda text, name: text,
        metavar="TRIGGERS",
    )
    chaos_rules: Path | None = setting(
        None,
        "JSON file of pochta's deterministic chaos rules (turns chaos on).",
        parse=parse_path,
        metavar="FILE",
    )
    chaos_seed: int | None = setting(
        None,
        "Seed of every chaos draw, to replay a run (default: the rules' seed, else random).",
        parse=parse_count,
        metavar="N",
    )
    allowed_host: tuple[str, ...] = setting(
        (),
        "Another Host name the web server answers to (repeat, or separate with commas).",
        metavar="NAME",
    )
    ui_auth_file: Path | None = setting(
        None,
        "htpasswd file (bcrypt, MD5, SHA or plain): the inbox, the API and its WebSocket "
        "then want one of its users.",
        parse=parse_path,
        metavar="PATH",
    )
    ui_tls_cert: Path | None = setting(
        None, "PEM certificate: serve the inbox and API over HTTPS only.", parse=parse_path
    )
    ui_tls_key: Path | None = setting(None, "PEM private key of --ui-tls-cert.", parse=parse_path)
    ui_mailbox: tuple[MailboxGrant, ...] = setting(
        (),
        "The mailboxes an inbox login may open: LOGIN=NAME[,NAME] (repeat; '*={login}': "
        "each login its own); other logins open all.",
        metavar="LOGIN=NAMES",
    )
    send_api_auth_file: Path | None = setting(
        None, "htpasswd file whose users alone may POST /api/v1/send.", parse=parse_path
    )
    send_api_auth_accept_any: bool = setting(False, "Let anyone POST /api/v1/send.")
    webroot: str = setting(
        "/", "Serve everything under this path (/mail/ behind a proxy).", parse=parse_webroot
    )
    enable_prometheus: HostPort | bool = setting(
        False,
        "Prometheus metrics: true for /metrics on the web port, or HOST:PORT to listen apart.",
        parse=parse_prometheus,
        metavar="true|HOST:PORT",
    )
    enable_spamassassin: HostPort | None = setting(
        None, "HOST:PORT of a SpamAssassin spamd, to score messages.", parse=parse_spamd
    )
    allow_internal_http_requests: bool = setting(
        False, "Let the link check reach internal addresses (your app on localhost)."
    )
    allow_untrusted_tls: bool = setting(False, "Let the link check accept any TLS certificate.")
    verbose: bool = setting(
        False,
        "Log each message stored and each HTTP request to stderr.",
    )
    # Mailpit's ways out (docs/relay.md) and SMTP options: relay, forward, webhook, tags.
    smtp_relay_config: Path | None = setting(
        None, "Mailpit's relay YAML (host:, port:, ...): enables release.", metavar="FILE",
        parse=parse_path,
    )  # fmt: skip
    smtp_relay_all: bool = setting(False, "Relay every new message to its envelope recipients.")
    smtp_relay_matching: str = setting(
        "", "Relay new messages to the envelope recipients matching this.", metavar="REGEX",
        parse=parse_regex,
    )  # fmt: skip
    smtp_forward_config: Path | None = setting(
        None, "Mailpit's forward YAML (to:, host:, ...): copy every message.", metavar="FILE",
        parse=parse_path,
    )  # fmt: skip
    webhook_url: str = setting(
        "", "POST each new message's summary JSON to this URL.", parse=parse_url, metavar="URL"
    )
    webhook_limit: int = setting(
        1, "Most webhook calls a second; more are dropped (0: no limit).", parse=parse_count,
        shown="1", metavar="COUNT",
    )  # fmt: skip
    webhook_delay: int = setting(
        0, "Seconds to wait before each webhook call.", parse=parse_count, shown="0",
        metavar="SECONDS",
    )  # fmt: skip
    smtp_allowed_recipients: str = setting(
        "", "Refuse (550) SMTP recipients not matching this.", parse=parse_regex, metavar="REGEX"
    )
    smtp_ignore_rejected_recipients: bool = setting(
        False, "Answer 250 to recipients --smtp-allowed-recipients refuses, and drop them."
    )
    ignore_duplicate_ids: bool = setting(
        False, "Drop a message whose Message-ID is already stored."
    )
    label: str = setting(
        "", "Name of this catcher, in the inbox title and /api/v1/webui.", parse=parse_text,
        metavar="TEXT",
    )  # fmt: skip
    tag: str = setting(
        "", 'Tag rules: tags=search, e.g. "Tag 1,urgent"=subject:urgent.', parse=parse_text,
        metavar="RULES",
    )  # fmt: skip
    tags_config: Path | None = setting(
        None, "Mailpit's tags YAML (filters: - match: ... tags: ...).", parse=parse_path,
        metavar="FILE",
    )  # fmt: skip
    # Mailboxes (docs/team.md): which one each message lands in.
    mailbox_rule: tuple[MailboxRule, ...] = setting(
        (),
        "Put mail to recipients matching PATTERN in mailbox NAME ({plus}: the plus tag, "
        "{local}: the local part); repeat, first match wins.",
        metavar="PATTERN=NAME",
    )
    mailbox_login: bool = setting(
        False,
        "Put each message in the mailbox named after the SMTP login that sent it.",
    )

    def __post_init__(self) -> None:
        check_settings(self)  # the checks that span fields: config/check.py

    @property
    def routing(self) -> Routing:
        """Return how messages are put in mailboxes (``--mailbox-rule``, ``--mailbox-login``)."""
        return Routing(self.mailbox_rule, by_login=self.mailbox_login)

    @property
    def smtp_auth_required(self) -> bool:
        """Tell whether SMTP clients must log in before sending."""
        return self.smtp_auth_file is not None

    @property
    def pop3_address(self) -> HostPort | None:
        """Return where POP3 listens, or None when it is off."""
        if self.pop3 is None and self.pop3_auth_file is not None:
            return HostPort("127.0.0.1", 1110)  # Mailpit's port; a login file turns it on
        return self.pop3


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
