"""The pytest plugin pochta ships to its users (registered through ``pytest11``).

Fixtures arrive here as the capabilities they wrap land; see docs/testing.md.
"""

from __future__ import annotations
