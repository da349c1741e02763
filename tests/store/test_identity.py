"""Message ids: 128 random bits each, never repeated, not even by a forked process."""

from __future__ import annotations

import os
import warnings

from pochta.store.identity import is_message_id, new_id


def test_ids_are_well_formed_and_never_repeat() -> None:
    ids = [new_id() for _ in range(3000)]  # several draws of random bytes from the system
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 22 and is_message_id(i) for i in ids)


def test_a_forked_child_does_not_hand_out_its_parents_ids() -> None:
    new_id()  # the parent now holds random bytes for the ids to come
    read, write = os.pipe()
    with warnings.catch_warnings():  # "multi-threaded, fork() may deadlock": the child only
        warnings.simplefilter("ignore", DeprecationWarning)  # draws ids and exits
        child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.write(write, " ".join(new_id() for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        childs = set(pipe.read().split())
    parents = {new_id() for _ in range(300)}
    assert len(childs) == 5
    assert not childs & parents
