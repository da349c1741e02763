"""docs/import.md reproduces ``pochta import --help`` verbatim."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from pochta.cli import main

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "import.md"


def test_docs_show_the_current_import_help() -> None:
    result = CliRunner().invoke(main, ["import", "--help"], prog_name="pochta", terminal_width=80)
    assert result.exit_code == 0
    blocks = re.findall(r"```text\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert result.output in blocks, (
        "docs/import.md's help block differs from `pochta import --help`; paste this:\n"
        + result.output
    )
