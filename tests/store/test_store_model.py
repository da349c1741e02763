"""The store contract as a model: random adds, flags, deletes and pruning agree with a list."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pochta.store import Envelope, Store
from tests.store.conftest import StoreOpener

ENVELOPE = Envelope("from@example.com", ("to@example.com",))
Model = list[tuple[str, bool]]  # (id, read), oldest first
Operation = tuple[str, list[int], bool, int]

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "read", "read all", "delete", "delete all"]),
        st.lists(st.integers(0, 20), max_size=4),
        st.booleans(),
        st.integers(1, 3),
    ),
    max_size=25,
)


# Each example empties the store first, so sharing the test's location is safe.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS, keep=st.integers(0, 6))
def test_store_agrees_with_a_list(
    open_test_store: StoreOpener, operations: list[Operation], keep: int
) -> None:
    model: Model = []
    with open_test_store(max_messages=keep) as store:
        store.delete(None)
        for operation in operations:
            model = apply(store, model, operation, keep)
            newest_first = [(m.id, m.read) for m in store.list_messages(limit=100).messages]
            assert newest_first == model[::-1]
            assert store.count() == (len(model), sum(not read for _, read in model))


def apply(store: Store, model: Model, operation: Operation, keep: int) -> Model:
    kind, indexes, flag, count = operation
    chosen = {model[i % len(model)][0] for i in indexes} if model else set()
    if kind == "add":
        for _ in range(count):
            model = [*model, (store.add(b"Subject: x\r\n\r\n", ENVELOPE), False)]
            model = model[-keep:] if keep else model
    elif kind == "read":
        store.set_read(sorted(chosen), flag)
        model = [(i, flag if i in chosen else read) for i, read in model]
    elif kind == "read all":
        store.set_read(None, flag)
        model = [(i, flag) for i, _ in model]
    elif kind == "delete":
        assert store.delete(sorted(chosen)) == len(chosen)
        model = [(i, read) for i, read in model if i not in chosen]
    else:
        assert store.delete(None) == len(model)
        model = []
    return model
