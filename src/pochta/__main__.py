"""``python -m pochta``: the ``pochta`` command, for when its script is not on PATH."""

from __future__ import annotations

from pochta.cli import main

if __name__ == "__main__":
    main()
