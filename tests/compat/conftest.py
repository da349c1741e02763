"""The npm package mailpit-api, installed once per session into a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: The published Mailpit client the compatibility tests drive (major version 2).
PACKAGE = "mailpit-api@2"


@pytest.fixture(scope="session")
def mailpit_api(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the path of mailpit-api's ES module, installed with npm for this session.

    Skips only when node or npm is not installed; a failed install fails the test.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Mailpit client test: .ci/run installs node and npm")
        pytest.skip("node and npm are needed to run a Mailpit client from the npm registry")
    prefix = tmp_path_factory.mktemp("npm")
    done = subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(prefix),
            PACKAGE,
            "--no-audit",
            "--no-fund",
            "--prefer-offline",  # npm's cache first: the registry only on a first run
            "--loglevel=error",
        ],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"npm install {PACKAGE} failed ({done.returncode}):\n{done.stderr}")
    return prefix / "node_modules" / "mailpit-api" / "dist" / "index.mjs"
