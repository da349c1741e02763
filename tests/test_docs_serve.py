"""docs/serve.md reproduces ``pochta serve --help`` verbatim and names every setting."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from click.testing import CliRunner

from pochta.cli import main
from pochta.config import Settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "serve.md"


def current_help() -> str:
    """Return ``pochta serve --help`` as an 80-column terminal shows it."""
    result = CliRunner().invoke(main, ["serve", "--help"], prog_name="pochta", terminal_width=80)
    assert result.exit_code == 0
    return result.output


def test_docs_show_the_current_help() -> None:
    blocks = re.findall(r"```text\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert current_help() in blocks, (
        "docs/serve.md's ```text block differs from `pochta serve --help`; paste this:\n"
        + current_help()
    )


def test_docs_name_every_setting_and_variable() -> None:
    text = DOC.read_text(encoding="utf-8")
    for spec in dataclasses.fields(Settings):
        assert "--" + spec.name.replace("_", "-") in text, spec.name
        assert "POCHTA_" + spec.name.upper() in text, spec.name


def test_docs_list_every_api_route() -> None:
    text = DOC.read_text(encoding="utf-8")
    routes = ["/api/v1/messages", "/api/v1/message/{ID}", "/headers", "/raw", "/part/{PartID}"]
    for route in [*routes, "/livez", "/readyz", "/api/v1/openapi.json"]:
        assert route in text, route
