"""docs/testing.md: its examples run as written, and the browser one is the suite's own test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "testing.md").read_text("utf-8")
_BLOCK = re.compile(r"```python\n# file: (?P<group>\w+)/(?P<name>[\w.]+)\n(?P<code>.*?)```", re.S)
INI = "[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n"


def examples(group: str) -> dict[str, str]:
    """Return the files of one example group of the docs: {file name: code}."""
    return {m["name"]: m["code"] for m in _BLOCK.finditer(DOC) if m["group"] == group}


def test_the_docs_hold_the_three_examples() -> None:
    groups = sorted({m["group"] for m in _BLOCK.finditer(DOC)})

    assert groups == ["browser", "django", "plain"]


@pytest.mark.parametrize("group", ["plain", "django"])
def test_an_example_passes_in_a_project_of_its_own(pytester: pytest.Pytester, group: str) -> None:
    pytester.makeini(INI)
    for name, code in examples(group).items():
        pytester.path.joinpath(name).write_text(code, "utf-8")

    result = pytester.runpytest_subprocess()

    result.assert_outcomes(passed=2)


def test_the_browser_example_is_the_reset_flow_test_of_this_suite() -> None:
    [code] = examples("browser").values()

    assert code == (Path(__file__).parent / "test_reset_flow.py").read_text("utf-8")
