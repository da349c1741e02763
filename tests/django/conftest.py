"""Fixtures for the Django integration: the Task site and ``pochta demo`` as real processes.

* ``tasksite`` (module scope): the site migrated into a temporary database and
  served by ``manage.py runserver --noreload`` on a free port, its mail sent to
  the module's ``serve_process`` (tests/conftest.py);
* ``demo`` (module scope): a whole ``pochta demo --temp`` on free ports.

Example::

    def test_home(tasksite: Site) -> None:
        assert httpx.get(tasksite.url + "/").status_code == 200
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.django.django_site import (
    SITE,
    Demo,
    Site,
    free_port,
    manage,
    site_env,
    start_demo,
    stop,
    wait_for_port,
)

if TYPE_CHECKING:
    from tests.conftest import ServeProcess


@pytest.fixture(scope="module")
def tasksite(
    serve_process: ServeProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The Task site on a free port, sending mail by SMTP to ``serve_process``."""
    host, smtp_port = serve_process.smtp
    env = site_env(
        TASKSITE_DATABASE=str(tmp_path_factory.mktemp("site") / "db.sqlite3"),
        EMAIL_BACKEND="smtp",
        EMAIL_HOST=host,
        EMAIL_PORT=str(smtp_port),
    )
    manage("migrate", "--noinput", env=env)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SITE / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for_port(port, process)
        yield Site(f"http://127.0.0.1:{port}", process)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """One ``pochta demo --temp`` for the test module, stopped with SIGTERM at its end."""
    running = start_demo()
    try:
        yield running
    finally:
        stop(running.process)
