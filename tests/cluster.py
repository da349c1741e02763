"""Throwaway PostgreSQL clusters for the tests, started from Debian's binaries.

``initdb`` runs once per test session into a template folder (1-3 s); every
cluster is a copy of it (``cp -a``, about 0.1 s) started on a free port of
127.0.0.1 with its unix socket in its own folder. PostgreSQL refuses to run
as root, so when the tests run as root (CI does) ``initdb`` and ``pg_ctl``
run as the ``postgres`` system user through ``runuser``; the test process
itself stays root and connects over TCP. A cluster is stopped by the PID in
its ``postmaster.pid``, never by a program name.

Durability is switched off (``fsync=off``) unless asked for: a test stops
PostgreSQL cleanly or kills pochta, never the machine, so commits still
survive what the tests do to them (the benchmarks keep fsync on). ::

    with Template.create() as template, template.start() as cluster:
        url = cluster.create_database()
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "PostgresMissing", "Template", "find_binaries"]

#: Where Debian (and the PGDG packages) put each major version's programs.
DEBIAN_ROOT = Path("/usr/lib/postgresql")
#: The system user that runs PostgreSQL when the tests run as root.
SERVER_USER = "postgres"
#: Settings of every test cluster: loopback only, room for several stores.
SERVER_OPTIONS = "-c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=32MB"
#: What the tests add: no fsync (a test kills pochta or stops PostgreSQL, never the machine).
FAST_OPTIONS = "-c fsync=off -c full_page_writes=off"
_STOP_WAIT = 15.0


class PostgresMissing(RuntimeError):
    """PostgreSQL's server programs are not installed here."""


def find_binaries() -> Path:
    """Return the folder of ``initdb`` and ``pg_ctl``: $POCHTA_TEST_PG_BIN or Debian's newest."""
    named = os.environ.get("POCHTA_TEST_PG_BIN")
    candidates = [Path(named)] if named else []
    if DEBIAN_ROOT.is_dir():
        versions = sorted(
            (p for p in DEBIAN_ROOT.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        )
        candidates += [version / "bin" for version in reversed(versions)]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresMissing(
        "PostgreSQL's server programs (initdb, pg_ctl) are not installed; "
        "install Debian's postgresql package (.ci/run does) or set POCHTA_TEST_PG_BIN"
    )


def _as_server(command: list[str]) -> list[str]:
    """Run ``command`` as the server user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return command


def _new_folder() -> Path:
    """Make a folder in the temporary folder that the server user owns."""
    folder = Path(tempfile.mkdtemp(prefix="pochta-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER, SERVER_USER)
    return folder


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Template:
    """A cluster made by ``initdb`` once, copied for each cluster the tests start."""

    binaries: Path
    data: Path

    @classmethod
    @contextlib.contextmanager
    def create(cls) -> Iterator[Template]:
        """Run ``initdb`` into a new folder (UTF-8, C.UTF-8, trust on loopback)."""
        binaries = find_binaries()
        folder = _new_folder()
        data = folder / "template"
        command = [
            str(binaries / "initdb"),
            *("-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
            *("--locale=C.UTF-8", "--no-sync", "--no-instructions"),
        ]
        done = subprocess.run(_as_server(command), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.strip()}")
        try:
            yield cls(binaries, data)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextlib.contextmanager
    def start(self, *, durable: bool = False) -> Iterator[Cluster]:
        """Copy the template into a new folder and run it on a free port until the block ends.

        ``durable`` keeps PostgreSQL's fsync on (for benchmarks against SQLite's FULL).
        """
        folder = _new_folder()
        data = folder / "data"
        subprocess.run(_as_server(["cp", "-a", str(self.data), str(data)]), check=True)
        options = SERVER_OPTIONS if durable else f"{SERVER_OPTIONS} {FAST_OPTIONS}"
        cluster = Cluster(self.binaries, data, folder, free_port(), options)
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop()
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class Cluster:
    """One running PostgreSQL server of the tests, reached at 127.0.0.1:``port``."""

    binaries: Path
    data: Path
    folder: Path
    port: int
    options: str = f"{SERVER_OPTIONS} {FAST_OPTIONS}"

    def url(self, database: str = "postgres") -> str:
        """Return the ``postgresql://`` URL of ``database`` on this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str = "") -> str:
        """Create a database (a fresh random name by default) and return its URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    @property
    def pid(self) -> int | None:
        """Return the postmaster's PID while it runs (from ``postmaster.pid``), else None."""
        try:
            first = (self.data / "postmaster.pid").read_text().split("\n", 1)[0]
        except (FileNotFoundError, PermissionError):
            return None
        return int(first) if first.strip().isdigit() else None

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        command = [
            str(self.binaries / "pg_ctl"),
            *("-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-s"),
            *("-o", f"-p {self.port} -k {self.folder} {self.options}", "start"),
        ]
        done = subprocess.run(_as_server(command), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = (self.folder / "log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start on port {self.port}: {log}")

    def stop(self, *, immediate: bool = False) -> None:
        """Stop the server by its PID: a fast shutdown (SIGINT), or SIGQUIT if ``immediate``."""
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT if immediate else signal.SIGINT)
        deadline = time.monotonic() + _STOP_WAIT
        while _alive(pid):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)
                deadline = time.monotonic() + _STOP_WAIT
            time.sleep(0.02)
        # An immediate stop leaves postmaster.pid behind; the next start checks the PID.


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes: the postmaster is not our child, init reaps it.
    with contextlib.suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return False
