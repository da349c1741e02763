"""docs/architecture.md names every module under src/pochta/, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pochta"
MAP = ROOT / "docs" / "architecture.md"


def mapped_modules() -> set[str]:
    rows = re.findall(r"^\| `([\w/]+\.py)` \|", MAP.read_text("utf-8"), flags=re.M)
    return set(rows)


def test_every_module_is_on_the_map() -> None:
    modules = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")}
    assert sorted(modules - mapped_modules()) == []


def test_the_map_names_no_module_that_is_gone() -> None:
    assert sorted(m for m in mapped_modules() if not (PACKAGE / m).is_file()) == []
