"""``pochta serve --pop3`` read by a real POP3 client: Debian's fetchmail, delivering to an MDA.

fetchmail logs in, lists, retrieves every message and hands each one to a
shell command that writes it to a file; the test compares those files with
what was sent over SMTP. Plain POP3, STLS and POP3S, each with a
certificate made here (trustme).
"""

from __future__ import annotations

import os
import smtplib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import trustme

from tests.program import debian_program

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

MESSAGES = [
    b"From: app@example.com\r\nTo: user@example.com\r\nSubject: first\r\n\r\nhello\r\n",
    b"From: app@example.com\r\nTo: user@example.com\r\nSubject: =?utf-8?q?=D0=BF=D0=BE?=\r\n"
    b"\r\n.a line that starts with a dot\r\n..and two\r\n.\r\nend\r\n",
    b"From: app@example.com\r\nTo: user@example.com\r\nSubject: third\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
    b"filename=x.bin\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b--\r\n",
]


@pytest.fixture(scope="module")
def fetchmail() -> str:
    return debian_program("fetchmail", "fetchmail")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA and a server certificate for localhost (fetchmail wants a common name)."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    issued = ca.issue_cert("localhost", "127.0.0.1", common_name="localhost")
    paths = {name: folder / f"{name}.pem" for name in ("ca", "cert", "key")}
    ca.cert_pem.write_to_path(paths["ca"])
    issued.cert_chain_pems[0].write_to_path(paths["cert"])
    issued.private_key_pem.write_to_path(paths["key"])
    return paths


def send_all(server: ServeProcess) -> None:
    with smtplib.SMTP(*server.smtp) as client:
        for raw in MESSAGES:
            client.sendmail("app@example.com", ["user@example.com"], raw)


def run_fetchmail(
    fetchmail: str, home: Path, port: int, *, password: str = "s3cret", options: str = ""
) -> tuple[subprocess.CompletedProcess[str], list[bytes]]:
    """Poll once with ``options`` on the user line; return the run and what the MDA got."""
    inbox = home / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    rc = home / "fetchmailrc"
    rc.write_text(
        f"set no bouncemail\n"
        f"poll 127.0.0.1 with proto POP3 port {port} auth password uidl\n"
        f'  user "alice" there with password "{password}" is "nobody" here\n'
        f"  {options}\n"
        f"  mda \"/bin/sh -c 'cat > $(mktemp {inbox}/msg.XXXXXX)'\"\n",
        encoding="utf-8",
    )
    rc.chmod(0o600)  # fetchmail refuses a readable rc file
    env = {**os.environ, "HOME": str(home), "FETCHMAILHOME": str(home)}
    done = subprocess.run(
        [fetchmail, "--nodetach", "--nosyslog", "-v", "-f", str(rc)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # -v logs the whole conversation
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return done, [path.read_bytes() for path in sorted(inbox.iterdir())]


def delivered_as_sent(delivered: list[bytes]) -> None:
    """Each sent message arrived once, byte for byte after fetchmail's Received header."""
    sent = sorted(raw.replace(b"\r\n", b"\n") for raw in MESSAGES)
    bodies = sorted(got[got.index(b"\nFrom: ") + 1 :] for got in delivered)
    assert bodies == sent
    assert all(got.startswith(b"Received: from 127.0.0.1") for got in delivered)


def test_fetchmail_takes_every_message_and_quit_deletes_them(
    fetchmail: str, launch_serve: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    users = tmp_path / "users"
    users.write_text("alice:s3cret\n", encoding="utf-8")
    server = launch_serve("--pop3", "127.0.0.1:0", "--pop3-auth-file", str(users))
    assert server.pop3 is not None
    send_all(server)
    plain = "sslproto ''"  # fetchmail tries STLS even when not offered, unless told
    wrong, got = run_fetchmail(
        fetchmail, tmp_path / "wrong", server.pop3[1], password="nope", options=plain
    )
    assert wrong.returncode == 3, wrong.stdout  # fetchmail's "authentication failed"
    assert got == []
    done, got = run_fetchmail(fetchmail, tmp_path / "fm", server.pop3[1], options=plain)
    assert done.returncode == 0, done.stdout
    delivered_as_sent(got)
    assert "POP3> QUIT" in done.stdout and "3 messages deleted" in done.stdout
    assert server.get("/api/v1/messages").json()["total"] == 0


def test_fetchmail_over_stls_keeps_the_mail_and_remembers_the_uidls(
    fetchmail: str,
    launch_serve: Callable[..., ServeProcess],
    tmp_path: Path,
    certificate: dict[str, Path],
) -> None:
    tls = ["--pop3-tls-cert", str(certificate["cert"]), "--pop3-tls-key", str(certificate["key"])]
    server = launch_serve("--pop3", "127.0.0.1:0", "--pop3-stls", *tls)
    assert server.pop3 is not None
    send_all(server)
    options = (
        f"keep sslproto tls1.2+ sslcertck sslcertfile {certificate['ca']} sslcommonname localhost"
    )
    done, got = run_fetchmail(fetchmail, tmp_path / "fm", server.pop3[1], options=options)
    assert done.returncode == 0, done.stdout
    assert "POP3> STLS" in done.stdout
    delivered_as_sent(got)
    again, got_again = run_fetchmail(fetchmail, tmp_path / "fm", server.pop3[1], options=options)
    assert again.returncode == 1, again.stdout  # fetchmail's "no new mail": the UIDLs were seen
    assert len(got_again) == 3  # the same three files; nothing new was delivered
    assert server.get("/api/v1/messages").json()["total"] == 3


def test_fetchmail_over_pop3s(
    fetchmail: str,
    launch_serve: Callable[..., ServeProcess],
    tmp_path: Path,
    certificate: dict[str, Path],
) -> None:
    tls = ["--pop3-tls-cert", str(certificate["cert"]), "--pop3-tls-key", str(certificate["key"])]
    server = launch_serve("--pop3", "127.0.0.1:0", *tls)
    assert server.pop3 is not None
    send_all(server)
    options = f"ssl sslcertck sslcertfile {certificate['ca']} sslcommonname localhost"
    done, got = run_fetchmail(fetchmail, tmp_path / "fm", server.pop3[1], options=options)
    assert done.returncode == 0, done.stdout
    delivered_as_sent(got)
    assert server.get("/api/v1/messages").json()["total"] == 0
