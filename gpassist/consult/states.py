"""The consultation life cycle and its timed escalation, as pure rules (no database, no clock).

::

    requested ──accept──► accepted ──start──► active ──close──► closed
        │                    │                  │
        ├──cancel──► cancelled ◄──cancel────────┘ (the requesting doctor)
        └──expire──► expired   (nobody accepted in time)

``accepted`` means a specialist has taken the case; it becomes ``active`` when the first chat
message or call offer passes between the two. A closed consultation carries the opinion.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from gpassist.labels import LabelledEnum


class ConsultState(LabelledEnum):
    requested = "requested", "等待接诊", "Waiting for a specialist"
    accepted = "accepted", "已接诊", "Accepted"
    active = "active", "会诊中", "In progress"
    closed = "closed", "已结束", "Closed"
    cancelled = "cancelled", "已取消", "Cancelled"
    expired = "expired", "已过期（无人接诊）", "Expired (nobody accepted)"


class Action(enum.StrEnum):
    accept = "accept"
    start = "start"
    close = "close"
    cancel = "cancel"
    expire = "expire"


class Urgency(LabelledEnum):
    routine = "routine", "普通", "Routine"
    urgent = "urgent", "紧急", "Urgent"
    emergency = "emergency", "急诊", "Emergency"


# Higher is served first.
PRIORITY = {Urgency.routine: 0, Urgency.urgent: 1, Urgency.emergency: 2}

TRANSITIONS: dict[tuple[ConsultState, Action], ConsultState] = {
    (ConsultState.requested, Action.accept): ConsultState.accepted,
    (ConsultState.requested, Action.cancel): ConsultState.cancelled,
    (ConsultState.requested, Action.expire): ConsultState.expired,
    (ConsultState.accepted, Action.start): ConsultState.active,
    (ConsultState.accepted, Action.close): ConsultState.closed,
    (ConsultState.accepted, Action.cancel): ConsultState.cancelled,
    (ConsultState.active, Action.close): ConsultState.closed,
    (ConsultState.active, Action.cancel): ConsultState.cancelled,
}

TERMINAL = frozenset({ConsultState.closed, ConsultState.cancelled, ConsultState.expired})
# States in which the two parties may talk (chat, typing, receipts, call signaling).
OPEN_FOR_MESSAGES = frozenset({ConsultState.requested, ConsultState.accepted, ConsultState.active})
OPEN_FOR_CALLS = frozenset({ConsultState.accepted, ConsultState.active})


class InvalidTransition(ValueError):
    def __init__(self, state: ConsultState, action: Action) -> None:
        super().__init__(f"cannot {action.value} a consultation that is {state.value}")
        self.state = state
        self.action = action


def next_state(state: ConsultState, action: Action) -> ConsultState:
    """The state after ``action``; InvalidTransition when the action is not allowed now."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(state, action) from None


def allowed_actions(state: ConsultState) -> frozenset[Action]:
    return frozenset(action for (source, action) in TRANSITIONS if source == state)


# --- escalation ------------------------------------------------------------------------------


class Escalation(enum.IntEnum):
    """Who has been told about a request nobody has accepted yet."""

    available = 0  # the department's available specialists (at request time)
    department = 1  # every specialist of the department, available or not
    admins = 2  # the county administrators too


@dataclass(frozen=True)
class Timeouts:
    """Seconds after the request: escalate to the department, then to admins, then expire."""

    department_after: float
    admins_after: float
    expire_after: float

    def __post_init__(self) -> None:
        if not 0 < self.department_after <= self.admins_after <= self.expire_after:
            raise ValueError("timeouts must satisfy 0 < department ≤ admins ≤ expiry")


def due_step(
    level: Escalation, requested_at: dt.datetime, now: dt.datetime, timeouts: Timeouts
) -> Escalation | Action | None:
    """What a waiting request needs now: the next escalation level, ``expire``, or nothing.

    One step at a time, so a scheduler that was down for an hour still notifies each group
    once, in order, before the request expires.
    """
    waited = (now - requested_at).total_seconds()
    if waited >= timeouts.expire_after and level >= Escalation.admins:
        return Action.expire
    if level == Escalation.available and waited >= timeouts.department_after:
        return Escalation.department
    if level == Escalation.department and waited >= timeouts.admins_after:
        return Escalation.admins
    return None
