"""Django 6.1's own email examples: under pochta.mail, and in Django with pochta's backends.

tests/mail/example_runner.py runs every example of tests/mail/django_examples.py
three ways, each in a fresh process: under pochta.mail (only the import lines
changed), in Django 6.1 with pochta's backends as ``MAILERS``, and in Django
6.1 with Django's own backends. The first two must do what the third does:
the same results, messages, ``sent_using``, SMTP envelopes and connections,
and the same errors. The deliberate differences (docs/mail.md) are allowed:
a ``ConfigurationError`` is also a ``ValueError``, pochta's hint may follow
Django's sentence, and a bad header is pochta's ``BadHeaderError`` (a
``ValueError``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import django
from tests.mail.django_examples import ERRORS, EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
NAMES = [f"example: {name}" for name in EXAMPLES] + [f"error: {name}" for name in ERRORS]
NEEDS_61 = pytest.mark.skipif(django.VERSION < (6, 1), reason="Django 6.1 has mailers")
SAME_KIND = {("BadHeaderError", "ValueError")}


def run_side(side: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.mail.example_runner", side],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    reports: dict[str, Any] = json.loads(done.stdout)
    return reports


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    sides = ["pochta"] + (["django", "django-own"] if django.VERSION >= (6, 1) else [])
    return {side: run_side(side) for side in sides}


def assert_same(ours: dict[str, Any], djangos: dict[str, Any]) -> None:
    """Compare two reports, allowing only the documented differences in errors."""
    assert {k: v for k, v in ours.items() if k != "error"} == {
        k: v for k, v in djangos.items() if k != "error"
    }
    assert ("error" in ours) == ("error" in djangos)
    if "error" in djangos:
        mine, theirs = ours["error"], djangos["error"]
        assert mine["message"].startswith(theirs["message"]), (mine, theirs)
        assert set(theirs["kinds"]) <= set(mine["kinds"]) <= {*theirs["kinds"], "ValueError"}
        types = (mine["type"], theirs["type"])
        assert (
            types[0] == types[1]
            or types in SAME_KIND
            or theirs["type"] == ("ImproperlyConfigured")
        ), types


@pytest.mark.parametrize("name", NAMES)
def test_every_example_runs_under_pochta(reports: dict[str, Any], name: str) -> None:
    report = reports["pochta"][name]

    expects_error = (
        name.startswith("error:") and "with get" not in name
    ) or "not installed" in name
    assert ("error" in report) == expects_error, report
    if name.startswith("example: send"):
        assert report["outbox"] and {m["sent_using"] for m in report["outbox"]} <= {
            "default",
            "notifications",
        }


@NEEDS_61
@pytest.mark.parametrize("name", NAMES)
def test_pochta_mail_does_what_django_does(reports: dict[str, Any], name: str) -> None:
    assert_same(reports["pochta"][name], reports["django-own"][name])


@NEEDS_61
@pytest.mark.parametrize("name", NAMES)
def test_pochtas_backends_in_django_do_what_djangos_do(reports: dict[str, Any], name: str) -> None:
    assert_same(reports["django"][name], reports["django-own"][name])


@NEEDS_61
def test_the_connection_examples_use_one_smtp_connection(reports: dict[str, Any]) -> None:
    for side in ("pochta", "django"):
        for name in ("example: open and close", "example: context manager"):
            report = reports[side][name]
            assert (report["connections"], [rcpt for _, rcpt in report["smtp"]]) == (
                1,
                [["to1@example.com"], ["to2@example.com"], ["to3@example.com"]],
            )
