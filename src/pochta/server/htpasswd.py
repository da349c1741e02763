"""Password files in Apache's htpasswd format, as Mailpit reads them.

A file holds ``user:hash`` entries. Like Mailpit (go-htpasswd), the text is
split on any whitespace, each token is one entry split at its first ``:``,
tokens without a ``:`` (comment words) are skipped and a later entry for the
same user wins. The hashes ``htpasswd`` and ``openssl passwd`` write are all
understood:

============================  ==========================================
``$2y$`` ``$2a$`` ``$2b$``    bcrypt (``htpasswd -B``), through :mod:`bcrypt`
``$apr1$`` ``$1$``            Apache's MD5 and MD5-crypt (``htpasswd -m``)
``$5$`` ``$6$``               SHA-256-crypt and SHA-512-crypt
``{SHA}``                     SHA-1 (``htpasswd -s``)
``{SSHA}``                    salted SHA-1
anything else                 the password itself, in plain text
============================  ==========================================

Example::

    users = load_htpasswd(Path("ui.htpasswd"), flag="--ui-auth-file")
    users.verify("alice", "s3cret")   # True or False, never raises
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from pochta.exceptions import ConfigurationError

__all__ = ["Htpasswd", "load_htpasswd", "parse_htpasswd", "verify_hash"]

_ITOA64 = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SHA_CRYPT = re.compile(r"\$([56])\$(?:rounds=(\d+)\$)?([^$]{0,16})\$([./0-9A-Za-z]+)")
_MD5_CRYPT = re.compile(r"(\$apr1\$|\$1\$)([^$]{0,8})\$([./0-9A-Za-z]{22})")
_MAX_FILE = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Htpasswd:
    """The users of one password file and their hashes."""

    users: Mapping[str, str]

    def verify(self, user: str, password: str) -> bool:
        """Tell whether ``password`` is ``user``'s; unknown users take as long as known ones."""
        encoded = self.users.get(user)
        if encoded is None:
            hmac.compare_digest(password.encode(), b"\0" * len(password.encode()))
            return False
        return verify_hash(password, encoded)


def parse_htpasswd(text: str) -> Htpasswd:
    """Read htpasswd text (or Mailpit's space-separated ``*_AUTH`` variable form)."""
    users: dict[str, str] = {}
    for token in text.split():
        user, colon, encoded = token.partition(":")
        if colon and user:
            users[user] = encoded
    return Htpasswd(users)


def load_htpasswd(path: Path, *, flag: str) -> Htpasswd:
    """Read the password file at ``path``; a missing, huge or empty one fails naming ``flag``."""
    try:
        if path.stat().st_size > _MAX_FILE:
            raise ConfigurationError(f"{flag} {path} is larger than 4 MiB; give an htpasswd file")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ConfigurationError(
            f"{flag} {path} cannot be read ({error.strerror or error}); give a readable file "
            f"of user:password lines, e.g. made with htpasswd -cB {path} alice"
        ) from None
    users = parse_htpasswd(text)
    if not users.users:
        raise ConfigurationError(
            f"{flag} {path} has no user:password line; add one, e.g. with htpasswd -B {path} alice"
        )
    return users


def verify_hash(password: str, encoded: str) -> bool:
    """Tell whether ``password`` matches ``encoded``, in any of the forms in the table above."""
    secret = password.encode()
    if encoded.startswith(("$2y$", "$2a$", "$2b$", "$2x$")):
        try:
            # bcrypt reads $2y$ and $2a$ as $2b$ (the same algorithm, older names)
            return bcrypt.checkpw(secret, b"$2b$" + encoded[4:].encode())
        except ValueError:
            return False
    if encoded.startswith("{SHA}"):
        expected = base64.b64encode(hashlib.sha1(secret).digest()).decode()
        return hmac.compare_digest(expected, encoded[5:])
    if encoded.startswith("{SSHA}"):
        return _verify_ssha(secret, encoded[6:])
    if match := _MD5_CRYPT.fullmatch(encoded):
        computed = md5_crypt(secret, match[2].encode(), match[1].encode())
        return hmac.compare_digest(computed, encoded.encode())
    if match := _SHA_CRYPT.fullmatch(encoded):
        rounds = int(match[2]) if match[2] else None
        computed = sha_crypt(secret, match[3].encode(), rounds, sha512=match[1] == "6")
        return hmac.compare_digest(computed.rpartition(b"$")[2], match[4].encode())
    return hmac.compare_digest(secret, encoded.encode())


def _verify_ssha(secret: bytes, text: str) -> bool:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return False
    digest, salt = raw[:20], raw[20:]
    return len(digest) == 20 and hmac.compare_digest(hashlib.sha1(secret + salt).digest(), digest)


def _to64(value: int, count: int) -> bytes:
    out = bytearray()
    for _ in range(count):
        out.append(_ITOA64[value & 0x3F])
        value >>= 6
    return bytes(out)


def md5_crypt(secret: bytes, salt: bytes, magic: bytes) -> bytes:
    """Return the MD5-crypt hash of ``secret`` (``magic`` ``$1$``, or ``$apr1$`` for Apache)."""
    alternate = hashlib.md5(secret + salt + secret).digest()
    context = secret + magic + salt
    for done in range(0, len(secret), 16):
        context += alternate[: min(16, len(secret) - done)]
    length = len(secret)
    while length:
        context += b"\0" if length & 1 else secret[:1]
        length >>= 1
    digest = hashlib.md5(context).digest()
    for i in range(1000):
        step = (secret if i & 1 else digest) + (salt if i % 3 else b"")
        step += (secret if i % 7 else b"") + (digest if i & 1 else secret)
        digest = hashlib.md5(step).digest()
    out = b"".join(
        _to64(digest[a] << 16 | digest[b] << 8 | digest[c], 4)
        for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))
    )
    return magic + salt + b"$" + out + _to64(digest[11], 2)


def _repeat(block: bytes, length: int) -> bytes:
    return (block * (length // len(block) + 1))[:length]


def sha_crypt(secret: bytes, salt: bytes, rounds: int | None, *, sha512: bool) -> bytes:
    """Return the SHA-256-crypt (``$5$``) or SHA-512-crypt (``$6$``) hash of ``secret``."""
    new = hashlib.sha512 if sha512 else hashlib.sha256
    count = 5000 if rounds is None else min(max(rounds, 1000), 999_999_999)
    alternate = new(secret + salt + secret).digest()
    context = new(secret + salt + _repeat(alternate, len(secret)))
    length = len(secret)
    while length:
        context.update(alternate if length & 1 else secret)
        length >>= 1
    digest = context.digest()
    p_bytes = _repeat(new(secret * len(secret)).digest(), len(secret))
    s_bytes = _repeat(new(salt * (16 + digest[0])).digest(), len(salt))
    for i in range(count):
        step = new(p_bytes if i & 1 else digest)
        if i % 3:
            step.update(s_bytes)
        if i % 7:
            step.update(p_bytes)
        step.update(digest if i & 1 else p_bytes)
        digest = step.digest()
    out = _encode_sha(digest, 21 if sha512 else 10)
    prefix = b"$6$" if sha512 else b"$5$"
    if rounds is not None:
        prefix += b"rounds=%d$" % count
    return prefix + salt + b"$" + out


def _encode_sha(digest: bytes, groups: int) -> bytes:
    # The spec's byte order: triples (i, i+n, i+2n), turned by i places (the
    # other way round for SHA-256).
    out = bytearray()
    for i in range(groups):
        triple = [i, i + groups, i + 2 * groups]
        turn = i % 3 if groups == 21 else -i % 3
        first, second, third = triple[turn:] + triple[:turn]
        out += _to64(digest[first] << 16 | digest[second] << 8 | digest[third], 4)
    if groups == 21:
        return bytes(out + _to64(digest[63], 2))
    return bytes(out + _to64(digest[31] << 8 | digest[30], 3))
