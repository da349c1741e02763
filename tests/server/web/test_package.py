"""The wheel ships the inbox's templates and static files (no build step, works offline)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder  # the build backend, in the dev extra

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "src" / "pochta" / "server" / "web"


def test_wheel_holds_every_template_and_static_file(tmp_path: Path) -> None:
    (wheel,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        "pochta/server/web/" + path.relative_to(WEB).as_posix()
        for folder in ("templates", "static")
        for path in (WEB / folder).iterdir()
    }
    assert len(shipped) >= 8
    assert shipped <= names
