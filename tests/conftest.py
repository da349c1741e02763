"""Fixtures shared by every test folder: a real ``pochta serve`` process and an API client.

* ``serve_process`` (module scope): one ``pochta serve`` subprocess on free
  ports with a temporary database, shared by a test module.
* ``launch_serve`` (function scope): a factory that starts more of them with
  any arguments, and stops whatever it started when the test ends.
* ``store_kind`` (session scope): each kind of store in turn, SQLite then
  PostgreSQL (:mod:`tests.kind`); every test that asks for it, directly or
  through ``api_store``, runs once per kind.
* ``api_client`` / ``api_store``: the HTTP app in-process around a real store
  of each kind, through httpx's ASGI transport (tests marked ``anyio``).
* ``postgres_template`` / ``postgres_cluster`` (session scope): PostgreSQL
  made by ``initdb`` once, and one throwaway server started from it for the
  whole session (:mod:`tests.cluster`); ``postgres_url`` is a fresh database
  on it for one test. Without PostgreSQL's programs they skip, except under
  ``CI=true``, where they fail.

Example::

    def test_catches(serve_process):
        with smtplib.SMTP(*serve_process.smtp) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: hi\\r\\n\\r\\nhi\\r\\n")
        assert serve_process.get("/api/v1/messages").json()["total"] == 1
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from pochta.exceptions import ServeError
from pochta.store import Store, open_store
from pochta.testing.server import read_startup
from tests.cluster import Cluster, PostgresMissing, Template
from tests.kind import KIND_NAMES, PostgresKind, SQLiteKind, StoreKind


@dataclass
class ServeProcess:
    """A running ``pochta serve`` subprocess and the addresses and store path it printed."""

    process: subprocess.Popen[str]
    database: Path | str
    smtp: tuple[str, int]
    url: str
    stderr_text: str = ""
    client: httpx.Client | None = None
    pop3: tuple[str, int] | None = None

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        """GET ``path`` from the server's HTTP side."""
        return self.request("GET", path, **kwargs)

    def request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        """Send any request to the server's HTTP side (one kept-alive connection)."""
        if self.client is None:
            # The first API request waits for the API to load: seconds under load.
            self.client = httpx.Client(base_url=self.url, timeout=30)
        return self.client.request(method, path, **kwargs)  # type: ignore[arg-type]

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``signum`` and return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            if self.client is not None:
                self.client.close()
                self.client = None
            self.stderr_text = self.stderr_text or _read_rest(self.process.stderr)

    def kill(self) -> None:
        """End the process at once (SIGKILL) and collect it."""
        self.stop(signal.SIGKILL)

    def stderr(self) -> str:
        """Return what the process wrote to stderr, once it has been stopped."""
        return self.stderr_text


def _read_rest(pipe: IO[str] | None) -> str:
    """Read what is left in ``pipe`` and close it."""
    if pipe is None or pipe.closed:
        return ""
    with pipe:
        return pipe.read()


def start_serve(
    database: Path | str | None, *args: str, env: dict[str, str] | None = None
) -> ServeProcess:
    """Start ``pochta serve DATABASE --smtp 127.0.0.1:0 --listen 127.0.0.1:0 ARGS...``.

    With ``database=None`` no DATABASE is given (for ``--temp`` or ``--database``).
    Unlike :class:`pochta.testing.PochtaServer`, the environment is passed on
    (plus ``env``) and stderr is kept for :meth:`ServeProcess.stderr`.

    Waits for the address lines (:func:`pochta.testing.server.read_startup`);
    raises ``RuntimeError`` with stderr if the process ends or stays silent.
    """
    first = [str(database)] if database is not None else []
    command = [sys.executable, "-m", "pochta", "serve", *first]
    command += ["--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        startup = read_startup(process)
    except ServeError:
        failed = ServeProcess(process, Path(), ("", 0), "")
        failed.kill()
        raise RuntimeError(f"pochta serve did not start: {failed.stderr()}") from None
    return ServeProcess(process, startup.database, startup.smtp, startup.url, pop3=startup.pop3)


@pytest.fixture
def launch_serve(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """Start ``pochta serve`` processes on free ports; each is killed when the test ends.

    Call it as ``launch_serve(*args, database=path)``; the database defaults to
    ``tmp_path / "mail.db"`` (``None``: give none, e.g. with ``--temp``; a
    ``postgresql://`` URL for a PostgreSQL store).
    """
    started: list[ServeProcess] = []

    def launch(
        *args: str, database: Path | str | None = tmp_path / "mail.db", **kwargs: object
    ) -> ServeProcess:
        served = start_serve(database, *args, **kwargs)  # type: ignore[arg-type]
        started.append(served)
        return served

    yield launch
    for served in started:
        served.kill()


@pytest.fixture(scope="module")
def serve_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """One ``pochta serve`` for the whole test module, stopped with SIGTERM at its end."""
    served = start_serve(tmp_path_factory.mktemp("serve") / "mail.db")
    yield served
    served.stop()


@pytest.fixture(scope="session", params=KIND_NAMES)
def store_kind(request: pytest.FixtureRequest) -> StoreKind:
    """Each kind of store: an SQLite file, then a PostgreSQL database."""
    if request.param == "postgresql":
        return PostgresKind(request.getfixturevalue("postgres_cluster"))
    return SQLiteKind()


@pytest.fixture
def api_store(store_kind: StoreKind, tmp_path: Path) -> Iterator[Store]:
    """A real, empty store of each kind, closed after the test."""
    store = open_store(store_kind.location(tmp_path))
    yield store
    store.close()


@pytest.fixture
def anyio_backend() -> str:
    """Run ``anyio``-marked tests on asyncio, the loop pochta serve runs on."""
    return "asyncio"


@pytest.fixture
async def api_client(api_store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP app in-process around ``api_store``, reached as http://127.0.0.1:8025."""
    from pochta.server.routes import create_app

    transport = httpx.ASGITransport(app=create_app(api_store))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8025") as client:
        yield client


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[Template]:
    """PostgreSQL's ``initdb`` run once for the session; every test cluster is a copy of it."""
    try:
        with Template.create() as template:
            yield template
    except PostgresMissing as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {missing}")
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def postgres_cluster(postgres_template: Template) -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the whole session, on a free port of 127.0.0.1."""
    with postgres_template.start() as cluster:
        yield cluster


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    return postgres_cluster.create_database()
