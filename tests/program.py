"""Programs from Debian packages that tests drive (fetchmail, PHP, git send-email, s-nail).

``scripts/install-mail-programs`` installs them, and ``.ci/run`` calls it, so
under ``CI=true`` a missing one fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["debian_program"]


def debian_program(name: str, package: str) -> str:
    """Return the path of program ``name``: skip without it here, fail without it in CI."""
    found = shutil.which(name)
    if found is None:
        message = (
            f"{name} is not installed; apt-get install {package} (scripts/install-mail-programs)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this test: {message}")
        pytest.skip(message)
    return found
