"""The Makefile's set-up: ``make serve`` installs only what serving needs, and makes run together.

A copy of the project (its dev extra cut to one small package, so the test
is quick) gets a fresh ``.venv`` from two makes started at the same moment,
as a newcomer does with ``make serve`` in one terminal and ``make test`` in
another. Before scripts/venv.py's lock, one of them ran pip while the other
was still creating the environment: "No module named pip".
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("Makefile", "pyproject.toml", "README.md", "scripts", "src")
RUN, DEV = ".venv/.pochta-run", ".venv/.pochta-dev"

pytestmark = pytest.mark.slow


def project_copy(folder: Path) -> Path:
    """Copy what ``make`` needs to ``folder``, with a dev extra of just ``iniconfig``."""
    for name in COPIED:
        source, target = ROOT / name, folder / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    project = folder / "pyproject.toml"
    text = re.sub(r"(?ms)^dev = \[.*?^\]", 'dev = ["iniconfig>=1"]', project.read_text())
    project.write_text(text)
    return folder


def together(folder: Path, *targets: str) -> list[tuple[int, str]]:
    """Run ``make TARGET`` for each target at the same moment; return (code, output) of each."""
    logs = [folder / f"make-{number}.log" for number in range(len(targets))]
    makes = []
    for target, log in zip(targets, logs, strict=True):
        with log.open("w") as output:
            makes.append(
                subprocess.Popen(["make", target], cwd=folder, stdout=output, stderr=output)
            )
    codes = [make.wait(timeout=600) for make in makes]
    return [(code, log.read_text()) for code, log in zip(codes, logs, strict=True)]


def imports(folder: Path, module: str) -> bool:
    """Tell whether the copy's .venv can import ``module``."""
    python = folder / ".venv" / "bin" / "python"
    check = [str(python), "-c", f"import {module}"]
    return subprocess.run(check, capture_output=True, check=False).returncode == 0


def test_serve_installs_only_runtime_and_makes_started_together_both_work(
    tmp_path: Path,
) -> None:
    folder = project_copy(tmp_path)

    first = together(folder, RUN, RUN)  # two `make serve` on a fresh clone
    served = [imports(folder, "pochta.server.app"), imports(folder, "iniconfig")]
    second = together(folder, DEV, RUN)  # `make test` and `make serve` together

    assert [code for code, _ in first + second] == [0, 0, 0, 0], first + second
    assert not any("No module named pip" in output for _, output in first + second)
    assert served == [True, False]  # serving's set-up leaves the dev tools out
    assert [imports(folder, "pochta.server.app"), imports(folder, "iniconfig")] == [True, True]
    assert (folder / RUN).exists() and (folder / DEV).exists()
