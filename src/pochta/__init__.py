"""pochta: send email the way Django does, and catch, read and test every message offline.

The everyday names live in submodules: :mod:`pochta.mail` (compose and send),
:mod:`pochta.store` (the captured mailbox), :mod:`pochta.server` (``pochta serve``)
and :mod:`pochta.testing` (the pytest plugin).
"""

from __future__ import annotations

from pochta.exceptions import PochtaError

__version__ = "0.1.0"

__all__ = ["PochtaError", "__version__"]
