"""pochta's tests on every Django it supports: ``nox`` (all sessions) or ``nox -s django-5.2``.

Each session makes a virtual environment with the Python it names, installs
pochta, the test tools of the ``dev`` extra (not the linters, not Playwright)
and one Django release series, then runs the tests that depend on Django: the
mail tests (``tests/mail``), the Django integration and the Task site
(``tests/django``, which runs the site's own ``manage.py test``) and the
pytest plugin's Django parts. The browser test (Playwright) is left to the
main suite.

    nox -l                          # the matrix
    nox -s django-6.1-py3.13        # one session
    nox -s lts                      # Django 5.2 LTS, the tests CI runs beside the main suite
    nox -s django-5.2-py3.11 -- tests/django/test_django_checks.py   # other tests

Pythons are found without a download: pyenv's versions folder first (pyenv
shims fail unless a version is selected), then ``pythonX.Y`` on PATH. A
missing one is an error, not a skip.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import nox

# uv (a dev dependency) makes each environment in seconds; plain venv + pip works too.
nox.options.default_venv_backend = "uv|venv"
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).resolve().parent

#: (Django release series, Python): Django 5.2 LTS runs on 3.10-3.14, 6.x needs 3.12+.
MATRIX = [("5.2", "3.11"), ("5.2", "3.12"), ("6.0", "3.12"), ("6.1", "3.12"), ("6.1", "3.13")]

#: What each session runs unless given other tests after ``--``.
TESTS = [
    "tests/mail",
    "tests/django",
    "tests/testing/test_outbox.py",
    "tests/testing/test_plugin.py",
    # The reset flow in Chromium needs Playwright; the main suite runs it.
    "--ignore=tests/django/test_django_reset_browser.py",
]

#: What CI runs on Django 5.2 LTS beside the main suite (which runs the newest Django): the
#: tests whose outcome depends on the Django release, in about a minute on 2 cores.
LTS_TESTS = [
    "tests/django/test_django_tasksite.py",
    "tests/django/test_django_checks.py",
    "tests/django/test_django_command.py",
    "tests/django/test_django_catcher.py",
    "tests/django/test_django_docs.py",
    "tests/mail/test_django_compat.py",
    "tests/mail/test_django_examples.py",
    "tests/mail/test_using.py",
    "tests/mail/test_settings.py",
    "tests/testing/test_plugin.py::test_with_django_configured_django_mail_lands_in_the_same_outbox",
]

# Dev tools the tests do not need (linters, the browser driver) and Django itself.
_NOT_FOR_TESTS = {
    *("ruff", "mypy", "django-stubs", "types-pyyaml", "playwright", "nox", "uv", "django"),
}


def find_python(version: str) -> str:
    """Return the path of a Python ``version`` (``"3.12"``) on this machine, or the bare name."""
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates = sorted(
        glob.glob(f"{root}/versions/{version}.*/bin/python"),
        key=lambda path: [int(n) for n in re.findall(r"\d+", path.split("/versions/")[1])],
    )
    found = shutil.which(f"python{version}")
    for path in [*reversed(candidates), *([found] if found else [])]:
        # A pyenv shim on PATH exists but fails unless its version is selected.
        if subprocess.run([path, "-c", "pass"], capture_output=True).returncode == 0:
            return path
    return f"python{version}"


def test_requirements() -> list[str]:
    """The ``dev`` extra of pyproject.toml without the tools the tests do not use."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    requirements = project["project"]["optional-dependencies"]["dev"]
    return [
        r for r in requirements if re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] not in _NOT_FOR_TESTS
    ]


def run_tests(session: nox.Session, django: str) -> None:
    """Install pochta with Django ``django`` (a release series) and run the tests."""
    session.install("-e", ".", *test_requirements(), f"django~={django}.0")
    session.run(
        "python", "-c", "import django, sys; print('Django', django.__version__, sys.version)"
    )
    session.run("python", "-m", "pytest", "-q", *(session.posargs or TESTS))


for _django, _python in MATRIX:

    @nox.session(name=f"django-{_django}-py{_python}", python=find_python(_python))
    def _session(session: nox.Session, django: str = _django) -> None:
        run_tests(session, django)

    _session.__doc__ = f"Django {_django} on Python {_python}: mail, Django and Task site tests."


@nox.session(name="lts", python=find_python("3.11"))
def lts(session: nox.Session) -> None:
    """Django 5.2 LTS on Python 3.11, the Django-dependent tests: what .ci/run adds."""
    session.install("-e", ".", *test_requirements(), "django~=5.2.0")
    session.run("python", "-m", "pytest", "-q", *(session.posargs or LTS_TESTS))
