"""What ``pochta serve`` imports before SMTP answers: none of the HTTP side's heavy libraries.

The start-up order (docs/serve.md, "Starting") relies on it: FastAPI,
pydantic, Jinja2, Pillow, prometheus_client, cryptography and PyYAML load on
a thread once SMTP listens, or only when a setting needs them.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("fastapi", "pydantic", "jinja2", "PIL", "prometheus_client", "cryptography", "yaml")
PROBE = f"""
import sys
import pochta.cli.serve, pochta.server.app, pochta.server.front
print(sorted(name for name in {HEAVY!r} if name in sys.modules))
"""


def test_the_smtp_side_and_the_front_import_no_http_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
