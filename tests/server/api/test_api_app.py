"""The process in-process: start, serve both sides, prune on a timer, fail without residue."""

from __future__ import annotations

import asyncio
import datetime
import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pochta.config import HostPort, Settings
from pochta.exceptions import ServeError
from pochta.server.app import exposure_warnings, start

pytestmark = pytest.mark.anyio

FREE = HostPort("127.0.0.1", 0)


@pytest.fixture
def busy() -> Iterator[HostPort]:
    """An address some other program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield HostPort("127.0.0.1", other.getsockname()[1])


def send(address: HostPort, subject: str) -> None:
    """Send one message with smtplib (blocking; run it in a thread)."""
    with smtplib.SMTP(address.host, address.port) as client:
        client.sendmail("a@example.com", ["b@example.com"], f"Subject: {subject}\r\n\r\nx\r\n")


def can_listen(address: HostPort) -> bool:
    """Tell whether ``address`` is free again."""
    with socket.socket() as probe:
        # as a restarted server would: a closed connection may linger in TIME_WAIT
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address.host, address.port))
        except OSError:
            return False
        return True


async def test_one_loop_serves_smtp_and_http(tmp_path: Path) -> None:
    catcher = await start(Settings(smtp=FREE, listen=FREE), database=tmp_path / "mail.db")
    try:
        await asyncio.to_thread(send, catcher.smtp_address, "hello")
        url = f"http://{catcher.http_address}"
        async with httpx.AsyncClient(base_url=url) as client:
            listed = (await client.get("/api/v1/messages")).json()
    finally:
        await catcher.aclose()
    assert [m["Subject"] for m in listed["messages"]] == ["hello"]
    assert can_listen(catcher.smtp_address) and can_listen(catcher.http_address)


async def test_timer_prunes_by_age(tmp_path: Path) -> None:
    settings = Settings(smtp=FREE, listen=FREE, max_age=datetime.timedelta(seconds=1))
    catcher = await start(settings, database=tmp_path / "mail.db", prune_interval=0.05)
    try:
        await asyncio.to_thread(send, catcher.smtp_address, "short-lived")
        for _ in range(200):
            if catcher.store.count() == (0, 0):
                break
            await asyncio.sleep(0.05)
        assert catcher.store.count() == (0, 0)
    finally:
        await catcher.aclose()


async def test_busy_http_port_fails_before_the_store_exists(
    tmp_path: Path, busy: HostPort
) -> None:
    with pytest.raises(ServeError, match=r"for HTTP: Address already in use; stop the program"):
        await start(Settings(smtp=FREE, listen=busy), database=tmp_path / "mail.db")
    assert not (tmp_path / "mail.db").exists()


async def test_busy_smtp_port_leaves_nothing_listening(tmp_path: Path, busy: HostPort) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        http = HostPort("127.0.0.1", probe.getsockname()[1])
    with pytest.raises(ServeError, match=r"for SMTP: Address already in use"):
        await start(Settings(smtp=busy, listen=http), database=tmp_path / "mail.db")
    assert can_listen(http)


def test_exposure_warnings() -> None:
    assert exposure_warnings(Settings()) == []
    assert exposure_warnings(Settings(smtp=HostPort("0.0.0.0", 1025))) == [
        "SMTP on 0.0.0.0:1025 accepts mail from anyone who can reach it; "
        "give --smtp-auth-file to require a login"
    ]
    assert exposure_warnings(
        Settings(listen=HostPort("::", 8025), smtp_auth_file=Path("users"))
    ) == [
        "the API and inbox on [::]:8025 have no login: anyone who can reach them "
        "can read and delete the mail; give --ui-auth-file to require one"
    ]
    assert exposure_warnings(
        Settings(listen=HostPort("0.0.0.0", 8025), ui_auth_file=Path("users"))
    ) == [
        "the inbox on 0.0.0.0:8025 takes passwords over plain HTTP; give "
        "--ui-tls-cert and --ui-tls-key to serve it over HTTPS"
    ]
    login = Settings(
        listen=HostPort("0.0.0.0", 8025),
        ui_auth_file=Path("users"),
        ui_tls_cert=Path("c.pem"),
        ui_tls_key=Path("k.pem"),
    )
    assert exposure_warnings(login) == []
