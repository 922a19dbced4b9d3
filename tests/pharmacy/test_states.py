"""The order state machine and the first-expiring-first plan, as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpassist.pharmacy.states import (
    Action,
    IllegalTransition,
    OrderStatus,
    may,
    next_status,
)
from gpassist.pharmacy.stock import plan_fefo

HAPPY_PATH = [
    OrderStatus.pending,
    OrderStatus.picked,
    OrderStatus.dispatched,
    OrderStatus.delivered,
]


def test_the_happy_path_and_cancellation():
    status = OrderStatus.pending
    for action, expected in zip(
        (Action.pick, Action.dispatch, Action.deliver, Action.pick_up),
        (OrderStatus.picked, OrderStatus.dispatched, OrderStatus.delivered, OrderStatus.delivered),
        strict=True,
    ):
        status = next_status(status, action)
        assert status == expected
    assert next_status(OrderStatus.pending, Action.cancel) == OrderStatus.cancelled
    assert next_status(OrderStatus.picked, Action.cancel) == OrderStatus.cancelled
    for late in (OrderStatus.dispatched, OrderStatus.delivered, OrderStatus.cancelled):
        with pytest.raises(IllegalTransition, match="does not allow cancel"):
            next_status(late, Action.cancel)
    with pytest.raises(IllegalTransition, match="pending"):
        next_status(OrderStatus.pending, Action.dispatch)  # must be picked first


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_sequence_of_actions_keeps_to_the_machine(actions):
    status = OrderStatus.pending
    visited = [status]
    for action in actions:
        if not may(status, action):
            with pytest.raises(IllegalTransition):
                next_status(status, action)
            continue
        status = next_status(status, action)
        if status != visited[-1]:
            visited.append(status)
    # Statuses only move forward along the path, or leave it once for cancelled before dispatch.
    if visited[-1] == OrderStatus.cancelled:
        assert visited[:-1] == HAPPY_PATH[: len(visited) - 1]
        assert OrderStatus.dispatched not in visited
    else:
        assert visited == HAPPY_PATH[: len(visited)]
    # Closed orders stay closed.
    if status in (OrderStatus.cancelled, OrderStatus.delivered):
        for action in Action:
            if may(status, action):
                assert next_status(status, action) == status


@given(
    st.lists(st.integers(min_value=0, max_value=50), max_size=8),
    st.integers(min_value=1, max_value=300),
)
def test_fefo_plan_takes_in_order_and_never_more_than_there_is(frees, quantity):
    lots = list(enumerate(frees, start=1))
    plan = plan_fefo(lots, quantity)
    if sum(frees) < quantity:
        assert plan is None
        return
    assert plan is not None
    assert sum(t.quantity for t in plan) == quantity
    free = dict(lots)
    assert all(0 < t.quantity <= free[t.lot_id] for t in plan)
    # Earlier-expiring lots are emptied before a later one is touched.
    used = [t.lot_id for t in plan]
    assert used == sorted(used)
    for take in plan[:-1]:
        assert take.quantity == free[take.lot_id]
    skipped = [lot_id for lot_id, f in lots if f and lot_id < used[-1] and lot_id not in used]
    assert skipped == []
