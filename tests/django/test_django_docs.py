"""docs/django.md reproduces ``pochta demo --help`` and the pochta.W001 text as they are."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pochta.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "django.md"


def test_docs_show_the_current_demo_help() -> None:
    result = CliRunner().invoke(main, ["demo", "--help"], prog_name="pochta", terminal_width=80)
    assert result.exit_code == 0
    assert f"```text\n{result.output}```" in DOC.read_text("utf-8"), result.output


def test_docs_name_every_way_to_wire_a_project() -> None:
    text = DOC.read_text("utf-8")
    for needle in (
        'EMAIL_BACKEND = "pochta.mail.backends.store.EmailBackend"',
        'EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"',
        'EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"',
        "pochta serve --watch sent_emails",
        '"pochta.django",',
        "(pochta.W001)",
    ):
        assert needle in text, needle
