"""Read the arguments of HELO/EHLO, MAIL FROM and RCPT TO, refusing what could inject.

Every function here is pure and raises :class:`CommandError` carrying the reply
to send. Addresses are checked lightly (RFC 5321 4.1.2 and the limits of
4.5.3.1): ``local@domain`` with no control characters, no unquoted specials,
at most 64 octets of local part, 255 of domain and 254 of mailbox (the 256-octet
path includes the angle brackets). A CR, LF, NUL or any other control
character anywhere in a MAIL or RCPT argument is refused with ``553 5.1.3``
(the header-injection class of CVE-2026-23829); in a HELO name with ``501``.
Non-ASCII addresses need the SMTPUTF8 parameter (RFC 6531).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pochta.server.smtp import reply as replies

__all__ = ["CommandError", "MailFrom", "parse_helo", "parse_mail", "parse_rcpt"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNQUOTED_LOCAL = re.compile(r'[^\s<>()\[\]\\,;:@"]+')
_DOMAIN = re.compile(r'[^\s<>()\[\]\\,;:@"]+')
_MAX_LOCAL = 64  # RFC 5321 4.5.3.1.1
_MAX_DOMAIN = 255  # RFC 5321 4.5.3.1.2
_MAX_MAILBOX = 254  # RFC 5321 4.5.3.1.3: 256 for the path, brackets included
_MAX_HELO = 255
_BODY_TYPES = frozenset({"7BIT", "8BITMIME"})


class CommandError(Exception):
    """A command argument pochta refuses; ``reply`` is the complete SMTP reply line."""

    def __init__(self, reply: bytes) -> None:
        super().__init__(reply.decode().strip())
        self.reply = reply


@dataclass(frozen=True, slots=True)
class MailFrom:
    """A parsed ``MAIL FROM``: the reverse-path ("" for ``<>``) and its parameters."""

    address: str
    options: tuple[str, ...]
    smtputf8: bool


def parse_helo(arg: str) -> str:
    """Return the client's name from a HELO/EHLO argument (a domain or address literal)."""
    name = arg.strip(" ")
    if not name or " " in name or _CONTROL.search(name) or len(name) > _MAX_HELO:
        raise CommandError(replies.SYNTAX_ARGS)
    return name


def parse_mail(arg: str, *, max_size: int) -> MailFrom:
    """Parse ``FROM:<path> [params]``; SIZE over ``max_size`` is refused with 552."""
    path, params = _split_path(arg, "FROM:")
    options = tuple(params.split())
    smtputf8 = _check_mail_params(options, max_size=max_size)
    if path:  # "<>" is the null reverse-path of bounces (RFC 5321 4.5.5)
        path = _check_mailbox(path, utf8=smtputf8)
    return MailFrom(address=path, options=options, smtputf8=smtputf8)


def parse_rcpt(arg: str, *, smtputf8: bool) -> str:
    """Parse ``TO:<path>``; no RCPT parameters are supported (555 for any)."""
    path, params = _split_path(arg, "TO:")
    if params.split():
        raise CommandError(replies.UNKNOWN_PARAMS)
    if path.lower() == "postmaster":  # RFC 5321 4.5.1: must be accepted without a domain
        return path
    return _check_mailbox(path, utf8=smtputf8)


def _split_path(arg: str, keyword: str) -> tuple[str, str]:
    if _CONTROL.search(arg):
        raise CommandError(replies.BAD_MAILBOX)
    if arg[: len(keyword)].upper() != keyword:
        raise CommandError(replies.SYNTAX_ARGS)
    rest = arg[len(keyword) :].lstrip(" ")
    close = rest.find(">")
    if not rest.startswith("<") or close < 0:
        raise CommandError(replies.SYNTAX_ARGS)
    after = rest[close + 1 :]
    if after and not after.startswith(" "):
        raise CommandError(replies.SYNTAX_ARGS)
    return rest[1:close], after


def _check_mail_params(options: tuple[str, ...], *, max_size: int) -> bool:
    seen: set[str] = set()
    for option in options:
        key, eq, value = option.partition("=")
        key = key.upper()
        if (eq and not value) or key in seen:
            raise CommandError(replies.SYNTAX_PARAMS)
        seen.add(key)
        if key == "SIZE":  # RFC 1870
            if not value.isascii() or not value.isdigit():
                raise CommandError(replies.BAD_SIZE)
            if int(value) > max_size:
                raise CommandError(replies.too_big(max_size))
        elif key == "BODY":  # RFC 6152
            if value.upper() not in _BODY_TYPES:
                raise CommandError(replies.BAD_BODY)
        elif key == "SMTPUTF8":  # RFC 6531 3.4: no value
            if eq:
                raise CommandError(replies.SYNTAX_PARAMS)
        elif key != "AUTH":  # RFC 4954 5: AUTH=<mailbox> may be ignored
            raise CommandError(replies.UNKNOWN_PARAMS)
    return "SMTPUTF8" in seen


def _check_mailbox(path: str, *, utf8: bool) -> str:
    if path.startswith("@"):  # RFC 5321 4.1.2: a source route is accepted and ignored
        path = path.partition(":")[2]
    if not utf8 and not path.isascii():
        raise CommandError(replies.NON_ASCII_ADDRESS)
    local, at, domain = path.rpartition("@")
    if (
        not at
        or len(path.encode()) > _MAX_MAILBOX
        or len(local.encode()) > _MAX_LOCAL
        or len(domain.encode()) > _MAX_DOMAIN
        or not _valid_local(local)
        or not _valid_domain(domain)
    ):
        raise CommandError(replies.BAD_MAILBOX)
    return path


def _valid_local(local: str) -> bool:
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        return True  # quoted-string; control characters were refused already
    return _UNQUOTED_LOCAL.fullmatch(local) is not None


def _valid_domain(domain: str) -> bool:
    if domain.startswith("[") and domain.endswith("]"):
        return " " not in domain  # address literal, e.g. [127.0.0.1]
    return (
        _DOMAIN.fullmatch(domain) is not None
        and not domain.startswith(".")
        and not domain.endswith(".")
        and ".." not in domain
    )
