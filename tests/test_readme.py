"""README.md opens with exactly two set-up commands that name real make targets, links every
page of docs/, and its test example passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None, "README.md has no ```sh block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_serve_and_test() -> None:
    assert readme_commands() == ["make serve", "make test"]


def test_readme_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.MULTILINE))

    assert {"serve", "test"} <= targets


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")

    assert "make test" in ci.splitlines()


def test_readme_links_every_page_of_the_docs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/[\w-]+\.md)\)", text))

    assert linked == {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}


def test_readme_test_example_passes(pytester: pytest.Pytester) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Testing with it\n\n```python\n(.*?)```", text, re.DOTALL)
    assert example is not None, "README.md has no test example under '## Testing with it'"
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n")
    pytester.makepyfile(test_example=example.group(1))

    pytester.runpytest_subprocess().assert_outcomes(passed=1)
