"""Password files: hashes by real ``htpasswd`` and ``openssl passwd``, read as Mailpit does."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest

from pochta.exceptions import ConfigurationError
from pochta.server.htpasswd import load_htpasswd, parse_htpasswd, verify_hash

PASSWORD = "s3cret-pässword"


@pytest.mark.parametrize("option", ["-B", "-m", "-s", "-p"])
def test_every_hash_htpasswd_writes(option: str) -> None:
    line = subprocess.run(
        ["htpasswd", "-nb", option, "alice", PASSWORD],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    users = parse_htpasswd(line)
    assert users.verify("alice", PASSWORD)
    assert not users.verify("alice", PASSWORD + "x")
    assert not users.verify("bob", PASSWORD)


@pytest.mark.parametrize("option", ["-1", "-apr1", "-5", "-6"])
def test_every_crypt_hash_openssl_writes(option: str) -> None:
    encoded = subprocess.run(
        ["openssl", "passwd", option, PASSWORD], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert verify_hash(PASSWORD, encoded)
    assert not verify_hash("wrong", encoded)


def test_sha_crypt_with_rounds_as_the_spec_gives_it() -> None:
    # The test vectors of Drepper's "Unix crypt using SHA-256 and SHA-512".
    assert verify_hash(
        "Hello world!",
        "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
    )
    assert verify_hash(
        "Hello world!",
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/"
        "UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
    )


def test_salted_sha() -> None:
    salt = b"pepper"
    digest = hashlib.sha1(PASSWORD.encode() + salt).digest()
    assert verify_hash(PASSWORD, "{SSHA}" + base64.b64encode(digest + salt).decode())
    assert not verify_hash("nope", "{SSHA}" + base64.b64encode(digest + salt).decode())
    assert not verify_hash(PASSWORD, "{SSHA}not base64!")


def test_the_file_is_read_as_mailpit_reads_it() -> None:
    users = parse_htpasswd("# users\nalice:one  bob:two\n\nalice:three\nnocolon")
    assert dict(users.users) == {"alice": "three", "bob": "two"}
    assert users.verify("alice", "three")
    assert not users.verify("alice", "one")


def test_a_missing_or_empty_file_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"--ui-auth-file .*missing.* cannot be read"):
        load_htpasswd(tmp_path / "missing", flag="--ui-auth-file")
    (tmp_path / "empty").write_text("# nobody yet\n")
    with pytest.raises(ConfigurationError, match=r"has no user:password line"):
        load_htpasswd(tmp_path / "empty", flag="--ui-auth-file")
