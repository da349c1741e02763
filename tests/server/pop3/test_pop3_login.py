"""POP3 logins: USER/PASS and APOP against an auth file, failures, lock-out, connection caps."""

from __future__ import annotations

import hashlib
import poplib
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pochta.config import Settings
from pochta.exceptions import ConfigurationError
from pochta.server.htpasswd import parse_htpasswd
from pochta.server.pop3.launch import pop3_settings
from pochta.server.pop3.login import LoginGuard, Logins
from pochta.server.pop3.settings import POP3Settings
from pochta.store import Store, open_store
from tests.server.pop3.pop3_harness import RawPOP3, RunningPOP3, add_messages, serve_pop3

# alice's is `htpasswd -nbs alice wonderland` (SHA-1); bob's is plain text, so APOP works for him.
USERS = parse_htpasswd("alice:{SHA}tiY7sUhYKUwI5L3866kDY+ENcrQ= bob:b0b")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "mail.db") as opened:
        add_messages(opened, 1)
        yield opened


@pytest.fixture
def server(store: Store) -> Iterator[RunningPOP3]:
    with serve_pop3(store, POP3Settings(logins=Logins(USERS))) as running:
        yield running


def test_users_of_the_htpasswd_file_log_in(server: RunningPOP3) -> None:
    client = server.login("alice", "wonderland")
    assert client.stat() == (1, 24)
    client.quit()
    assert server.login("bob", "b0b").stat() == (1, 24)


@pytest.mark.parametrize(
    ("user", "password"), [("alice", "wonder"), ("carol", "b0b"), ("bob", ""), ("alice", "{SHA}")]
)
def test_a_wrong_login_is_refused_and_may_try_again(
    server: RunningPOP3, user: str, password: str
) -> None:
    client = server.pop3()
    client.user(user)
    with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\] invalid user name or password"):
        client.pass_(password)
    with pytest.raises(poplib.error_proto, match="log in first"):
        client.stat()
    client.user("bob")
    assert client.pass_("b0b").startswith(b"+OK")


def test_apop_logs_in_with_the_digest_of_the_greeting(server: RunningPOP3) -> None:
    client = server.pop3()
    assert client.apop("bob", "b0b") == b"+OK bob's maildrop has 1 messages (24 octets)"
    other = server.pop3()
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        other.apop("bob", "wrong")
    hashed = server.pop3()  # only a hash is known of alice's password: no APOP for her
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        hashed.apop("alice", "wonderland")


def test_an_apop_digest_of_another_greeting_is_refused(server: RunningPOP3) -> None:
    first, second = server.raw(), server.raw()
    banner = re.search(rb"<[^>]+>", first.greeting)
    assert banner is not None and banner[0] not in second.greeting
    digest = hashlib.md5(banner[0] + b"b0b").hexdigest().encode()
    assert second.send(b"APOP bob " + digest + b"\r\n")[0].startswith(b"-ERR [AUTH]")
    assert first.send(b"APOP bob " + digest + b"\r\n")[0].startswith(b"+OK bob's maildrop")


def test_three_failures_in_one_session_close_it(server: RunningPOP3) -> None:
    sock = server.raw()
    tries = b"USER bob\r\nPASS x\r\n" * 3
    sock.sock.sendall(tries + b"USER bob\r\nPASS b0b\r\n")
    assert sock.read_all() == (
        b"+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n" * 2
        + b"+OK send PASS\r\n-ERR [AUTH] too many failed logins; closing\r\n"
    )


def test_repeated_failures_lock_the_address_out_even_with_the_right_password(
    store: Store,
) -> None:
    guard = LoginGuard(max_failures=4, window=600, lockout=600)
    with serve_pop3(store, POP3Settings(logins=Logins(USERS)), guard=guard) as running:
        for _ in range(2):  # two sessions of two failures each, from 127.0.0.1
            sock = running.raw()
            sock.send(b"USER bob\r\nPASS x\r\nUSER bob\r\nPASS y\r\n", 4)
        locked = running.raw()
        assert locked.send(b"USER bob\r\n")[0].startswith(
            b"-ERR [AUTH] too many failed logins from this address; try again in "
        )
        assert locked.send(b"APOP bob " + b"0" * 32 + b"\r\n")[0].startswith(b"-ERR [AUTH] too")
        elsewhere = RawPOP3(running.port, source=("127.0.0.2", 0))
        running.clients.append(elsewhere)
        assert elsewhere.send(b"USER bob\r\nPASS b0b\r\n", 2)[1].startswith(b"+OK bob's")


def test_a_lock_out_ends_after_its_time_and_a_good_login_forgets_failures() -> None:
    now = [0.0]
    guard = LoginGuard(max_failures=3, window=60, lockout=300, clock=lambda: now[0])
    guard.failed("10.0.0.1")
    guard.failed("10.0.0.1")
    guard.succeeded("10.0.0.1")
    guard.failed("10.0.0.1")
    guard.failed("10.0.0.1")
    assert guard.locked_for("10.0.0.1") == 0
    now[0] = 61.0  # the first two are out of the window now
    guard.failed("10.0.0.1")
    assert guard.locked_for("10.0.0.1") == 0
    guard.failed("10.0.0.1")
    guard.failed("10.0.0.1")
    assert guard.locked_for("10.0.0.1") == 300
    assert guard.locked_for("10.0.0.2") == 0
    now[0] = 361.0
    assert guard.locked_for("10.0.0.1") == 0


def test_without_an_auth_file_any_login_works(store: Store) -> None:
    assert Logins().check_password("anyone", "anything")
    with serve_pop3(store) as running:
        assert running.pop3().apop("whoever", "whatever").startswith(b"+OK whoever's maildrop")


def test_one_connection_over_the_cap_is_turned_away(store: Store) -> None:
    with serve_pop3(store, POP3Settings(max_connections=2)) as running:
        running.raw()
        running.raw()
        with socket.create_connection(("127.0.0.1", running.port), timeout=30) as third:
            assert third.recv(1000) == b"-ERR [SYS/TEMP] too many connections; try again later\r\n"


def test_the_auth_file_is_read_as_htpasswd_as_mailpit_does(tmp_path: Path) -> None:
    path = tmp_path / "pop3.htpasswd"
    path.write_text("# users\nalice:pa:ss\n\nbob:{SHA}tiY7sUhYKUwI5L3866kDY+ENcrQ=\n", "utf-8")
    logins = pop3_settings(Settings(pop3_auth_file=path), state_dir=tmp_path).logins
    assert logins.check_password("alice", "pa:ss") and logins.check_password("bob", "wonderland")
    assert not logins.check_password("bob", "{SHA}tiY7sUhYKUwI5L3866kDY+ENcrQ=")
    path.write_text("no colon here\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"--pop3-auth-file .* has no user:password"):
        pop3_settings(Settings(pop3_auth_file=path), state_dir=tmp_path)
