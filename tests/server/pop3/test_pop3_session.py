"""The POP3 server driven by Python's poplib over a real store: every command and its refusals."""

from __future__ import annotations

import poplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pochta.server.pop3.maildrop import store_maildrops
from pochta.store import Envelope, Store, open_store
from tests.server.pop3.pop3_harness import RunningPOP3, add_messages, serve_pop3


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "mail.db") as opened:
        yield opened


@pytest.fixture
def server(store: Store) -> Iterator[RunningPOP3]:
    with serve_pop3(store) as running:
        yield running


@pytest.fixture(scope="module")
def one_message(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPOP3]:
    """A server over a store of one message, shared by tests that change nothing."""
    with open_store(tmp_path_factory.mktemp("pop3") / "mail.db") as shared:
        add_messages(shared, 1)
        with serve_pop3(shared) as running:
            yield running


def test_a_session_lists_reads_and_deletes(store: Store, server: RunningPOP3) -> None:
    ids = add_messages(store, 3)
    client = server.pop3()
    assert client.getwelcome().startswith(b"+OK pochta POP3 server ready <")
    assert set(client.capa()) == {
        "TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION",
    }  # fmt: skip
    assert client.user("alice") == b"+OK send PASS"
    assert client.pass_("any") == b"+OK alice's maildrop has 3 messages (72 octets)"
    assert client.stat() == (3, 72)
    assert client.list()[1] == [b"1 24", b"2 24", b"3 24"]
    assert client.list(2) == b"+OK 2 24"  # type: ignore[comparison-overlap]  # typeshed: a tuple
    newest_first = [f"{n} {id}".encode() for n, id in enumerate(reversed(ids), 1)]
    assert client.uidl()[1] == newest_first
    assert client.uidl(1) == b"+OK " + newest_first[0]
    assert client.retr(1)[1] == [b"Subject: m2", b"", b"hello 2"]
    assert client.top(3, 0)[1] == [b"Subject: m0", b""]
    assert client.noop() == b"+OK"
    assert client.dele(1) == b"+OK message 1 deleted"
    assert client.quit() == b"+OK pochta POP3 server signing off (1 messages deleted)"
    assert [s.id for s in store.list_messages().messages] == [ids[1], ids[0]]


def test_retr_sends_the_stored_bytes_with_crlf_lines_and_dots_stuffed(
    store: Store, server: RunningPOP3
) -> None:
    raw = b"Subject: dots\n\n.\n..two\r\n.leading\nlast line without an end"
    store.add(raw, Envelope("a@example.com", ("b@example.com",)))
    sock = server.raw()
    sock.send(b"USER a\r\nPASS b\r\n", 2)
    lines = sock.send(b"RETR 1\r\n", 8)
    assert lines == [
        b"+OK %d octets\r\n" % len(raw),
        b"Subject: dots\r\n",
        b"\r\n",
        b"..\r\n",
        b"...two\r\n",
        b"..leading\r\n",
        b"last line without an end\r\n",
        b".\r\n",
    ]


def test_top_gives_the_header_and_the_first_lines(store: Store, server: RunningPOP3) -> None:
    store.add(b"A: 1\r\nB: 2\r\n\r\none\r\ntwo\r\nthree\r\n", Envelope("a@x.test", ("b@x.test",)))
    client = server.login()
    assert client.top(1, 2)[1] == [b"A: 1", b"B: 2", b"", b"one", b"two"]
    assert client.top(1, 99)[1] == [b"A: 1", b"B: 2", b"", b"one", b"two", b"three"]
    client.quit()


def test_nothing_is_deleted_without_quit(store: Store, server: RunningPOP3) -> None:
    add_messages(store, 2)
    client = server.login()
    client.dele(1)
    client.dele(2)
    client.close()  # the connection drops: no UPDATE state
    again = server.login()
    assert again.stat() == (2, 48)
    again.quit()
    assert store.count() == (2, 2)


def test_rset_takes_back_every_mark(store: Store, server: RunningPOP3) -> None:
    add_messages(store, 2)
    client = server.login()
    client.dele(1)
    assert client.stat() == (1, 24)
    assert client.rset() == b"+OK alice's maildrop has 2 messages (48 octets)"
    assert client.quit() == b"+OK pochta POP3 server signing off"
    assert store.count()[0] == 2


def test_a_deleted_message_is_gone_for_the_rest_of_the_session(
    store: Store, server: RunningPOP3
) -> None:
    add_messages(store, 2)
    client = server.login()
    client.dele(2)
    assert client.stat() == (1, 24)
    assert client.list()[1] == [b"1 24"]
    assert client.uidl()[1] == [b"1 " + store.list_messages().messages[0].id.encode()]
    for command in (lambda: client.retr(2), lambda: client.dele(2), lambda: client.list(2)):
        with pytest.raises(poplib.error_proto, match="message already deleted"):
            command()
    client.quit()
    assert store.count()[0] == 1


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (b"STAT", b"-ERR log in first (USER and PASS, or APOP)"),
        (b"RETR 1", b"-ERR log in first (USER and PASS, or APOP)"),
        (b"PASS secret", b"-ERR send USER first"),
        (b"USER", b"-ERR syntax: USER name"),
        (b"APOP alice nothex", b"-ERR syntax: APOP name digest (32 hexadecimal digits)"),
        (b"XTND XMIT", b"-ERR unknown command"),
        (b"STLS", b"-ERR STLS is not available (start pochta serve with --pop3-stls)"),
        (b"USER \xff", b"-ERR syntax: commands are UTF-8 text"),
        (b"USER a\x00b", b"-ERR syntax: no control characters in a command"),
    ],
)
def test_refusals_before_login(one_message: RunningPOP3, command: bytes, reply: bytes) -> None:
    sock = one_message.raw()
    assert sock.send(command + b"\r\n") == [reply + b"\r\n"]
    assert sock.send(b"CAPA\r\n") == [b"+OK capability list follows\r\n"]  # still usable


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (b"RETR 0", b"-ERR a message number is a whole number from 1"),
        (b"RETR x", b"-ERR a message number is a whole number from 1"),
        (b"RETR -1", b"-ERR a message number is a whole number from 1"),
        (b"RETR", b"-ERR a message number is a whole number from 1"),
        (b"RETR 2", b"-ERR no such message"),
        (b"DELE 99999999999", b"-ERR a message number is a whole number from 1"),
        (b"TOP 1", b"-ERR syntax: TOP message-number lines"),
        (b"TOP 1 x", b"-ERR syntax: TOP message-number lines"),
        (b"STAT 1", b"-ERR syntax: STAT"),
        (b"USER bob", b"-ERR already logged in; this command is for the AUTHORIZATION state"),
        (b"STLS", b"-ERR already logged in; this command is for the AUTHORIZATION state"),
    ],
)
def test_refusals_after_login(one_message: RunningPOP3, command: bytes, reply: bytes) -> None:
    sock = one_message.raw()
    sock.send(b"USER a\r\nPASS b\r\n", 2)
    assert sock.send(command + b"\r\n") == [reply + b"\r\n"]
    assert sock.send(b"NOOP\r\n") == [b"+OK\r\n"]


def test_a_line_over_512_octets_is_refused_and_the_session_goes_on(server: RunningPOP3) -> None:
    sock = server.raw()
    longest = b"USER " + b"a" * (512 - 7) + b"\r\n"
    assert sock.send(longest) == [b"+OK send PASS\r\n"]
    reply = sock.send(b"USER " + b"a" * (512 - 6) + b"\r\n")
    assert reply == [b"-ERR line too long (POP3 command lines are at most 512 octets)\r\n"]
    assert sock.send(b"USER " + b"b" * 100_000 + b"\r\n")[0].startswith(b"-ERR line too long")
    assert sock.send(b"USER alice\r\n") == [b"+OK send PASS\r\n"]


def test_too_many_bad_commands_close_the_session(server: RunningPOP3) -> None:
    sock = server.raw()
    assert sock.send(b"BAD\r\n" * 9, 9) == [b"-ERR unknown command\r\n"] * 9
    sock.sock.sendall(b"BAD\r\n")
    assert sock.read_all() == b"-ERR too many bad commands; closing\r\n"


def test_pipelined_commands_are_answered_in_order(store: Store, server: RunningPOP3) -> None:
    add_messages(store, 1)
    sock = server.raw()
    sock.sock.sendall(b"USER a\r\nPASS b\r\nSTAT\r\nDELE 1\r\nQUIT\r\n")
    assert sock.read_all() == (
        b"+OK send PASS\r\n"
        b"+OK a's maildrop has 1 messages (24 octets)\r\n"
        b"+OK 1 24\r\n"
        b"+OK message 1 deleted\r\n"
        b"+OK pochta POP3 server signing off (1 messages deleted)\r\n"
    )
    assert store.count()[0] == 0


def test_a_message_deleted_elsewhere_meanwhile_is_refused(
    store: Store, server: RunningPOP3
) -> None:
    ids = add_messages(store, 2)
    client = server.login()
    store.delete([ids[1]])  # the inbox deletes the newest, message 1 of this session
    with pytest.raises(poplib.error_proto, match="message 1 was deleted from the store"):
        client.retr(1)
    assert client.retr(2)[1][0] == b"Subject: m0"
    client.dele(1)
    assert client.quit() == b"+OK pochta POP3 server signing off (0 messages deleted)"


def test_a_login_sees_the_newest_window_newest_first(store: Store) -> None:
    ids = add_messages(store, 5)
    with serve_pop3(store, maildrops=store_maildrops(store, window=3)) as running:
        client = running.login()
        assert client.stat() == (3, 72)
        assert [line.split()[1].decode() for line in client.uidl()[1]] == ids[:1:-1]
        client.quit()


def test_shutting_down_says_so_and_deletes_nothing(store: Store) -> None:
    add_messages(store, 1)
    with serve_pop3(store) as running:
        client = running.login()
        client.dele(1)
        running.close_server()
        with pytest.raises(poplib.error_proto, match=r"\[SYS/TEMP\] pochta is shutting down"):
            client.noop()
    assert store.count()[0] == 1
