"""The stores' cache of recent parses: one parse of a message at a time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pochta.store.recent import Recent


def test_threads_asking_for_one_key_together_share_one_making() -> None:
    recent: Recent[str, str] = Recent(4)
    made: list[str] = []
    release = threading.Event()

    def make() -> str:
        made.append("parse")
        release.wait(10)  # a parse of a large message, while the others ask
        return "parsed"

    with ThreadPoolExecutor(4) as pool:
        answers = [pool.submit(recent.get, "id", make) for _ in range(4)]
        time.sleep(0.2)  # let every thread ask before the first parse ends
        release.set()
        assert ([a.result(10) for a in answers], made) == (["parsed"] * 4, ["parse"])


def test_a_failed_making_lets_the_next_caller_try_again() -> None:
    recent: Recent[str, str] = Recent(4)

    def fail() -> str:
        raise MemoryError

    with pytest.raises(MemoryError):
        recent.get("id", fail)
    assert recent.get("id", lambda: "parsed") == "parsed"
