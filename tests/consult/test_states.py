"""The consultation life cycle and escalation rules, without a database."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpassist.consult.states import (
    TERMINAL,
    Action,
    ConsultState,
    Escalation,
    InvalidTransition,
    Timeouts,
    allowed_actions,
    due_step,
    next_state,
)

ORDER = {
    ConsultState.requested: 0,
    ConsultState.accepted: 1,
    ConsultState.active: 2,
    ConsultState.closed: 3,
    ConsultState.cancelled: 3,
    ConsultState.expired: 3,
}
TIMEOUTS = Timeouts(department_after=300, admins_after=900, expire_after=3600)
T0 = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)


def run(actions: list[Action]) -> tuple[ConsultState, list[ConsultState]]:
    """Apply actions, skipping refused ones (as the service refuses them); return the path."""
    state, path = ConsultState.requested, [ConsultState.requested]
    for action in actions:
        try:
            state = next_state(state, action)
        except InvalidTransition:
            continue
        path.append(state)
    return state, path


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_a_consultation_only_moves_forward_and_terminal_states_are_final(actions):
    state, path = run(actions)
    assert all(ORDER[a] < ORDER[b] for a, b in itertools.pairwise(path))
    assert sum(s in TERMINAL for s in path) <= 1
    if state in TERMINAL:
        assert allowed_actions(state) == frozenset()


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_an_opinion_needs_an_acceptance_and_expiry_only_a_waiting_request(actions):
    _, path = run(actions)
    if ConsultState.closed in path:
        assert ConsultState.accepted in path
    if ConsultState.expired in path:
        assert path == [ConsultState.requested, ConsultState.expired]


@given(st.sampled_from(list(ConsultState)), st.sampled_from(list(Action)))
def test_every_refusal_names_the_state_and_the_action(state, action):
    if action in allowed_actions(state):
        assert next_state(state, action) != state
    else:
        with pytest.raises(InvalidTransition) as refused:
            next_state(state, action)
        assert state.value in str(refused.value) and action.value in str(refused.value)


def test_the_happy_path():
    assert run([Action.accept, Action.start, Action.close])[0] == ConsultState.closed
    assert run([Action.accept, Action.accept])[1] == [ConsultState.requested, ConsultState.accepted]


@given(
    st.integers(min_value=0, max_value=20_000),
    st.lists(st.integers(min_value=1, max_value=2_000), max_size=40),
)
def test_escalation_goes_one_level_at_a_time_then_expires_once(start_offset, gaps):
    """Whatever the tick times, each group is told once, in order, before expiry; nothing early."""
    level, steps, now = Escalation.available, [], T0 + dt.timedelta(seconds=start_offset)
    for gap in [0, *gaps]:
        now += dt.timedelta(seconds=gap)
        step = due_step(level, T0, now, TIMEOUTS)
        if step is None:
            continue
        waited = (now - T0).total_seconds()
        if step == Action.expire:
            assert waited >= TIMEOUTS.expire_after
            steps.append(step)
            break
        assert step == level + 1
        assert waited >= (TIMEOUTS.department_after if step == 1 else TIMEOUTS.admins_after)
        level = Escalation(step)
        steps.append(step)
    assert steps == [Escalation.department, Escalation.admins, Action.expire][: len(steps)]


def test_nothing_is_due_before_the_first_timeout():
    assert due_step(Escalation.available, T0, T0 + dt.timedelta(seconds=299), TIMEOUTS) is None
    after = T0 + dt.timedelta(seconds=300)
    assert due_step(Escalation.available, T0, after, TIMEOUTS) == Escalation.department


def test_timeouts_must_be_in_order():
    with pytest.raises(ValueError):
        Timeouts(department_after=900, admins_after=300, expire_after=3600)
