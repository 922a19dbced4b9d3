"""The order's state machine, pure: ``pending → picked → dispatched → delivered``, or
``cancelled`` (with a reason) before dispatch. The patient's pick-up is recorded on a delivered
order without changing its status."""

from __future__ import annotations

import enum

from gpassist.labels import LabelledEnum


class OrderStatus(LabelledEnum):
    pending = "pending", "待配药", "To pick"
    picked = "picked", "已配药", "Picked"
    dispatched = "dispatched", "配送中", "On the way"
    delivered = "delivered", "已送达", "Delivered"
    cancelled = "cancelled", "已取消", "Cancelled"


class Action(enum.StrEnum):
    create = "create"
    pick = "pick"
    dispatch = "dispatch"
    deliver = "deliver"
    cancel = "cancel"
    pick_up = "pick_up"  # the patient collected the drugs at the clinic


TRANSITIONS: dict[tuple[OrderStatus, Action], OrderStatus] = {
    (OrderStatus.pending, Action.pick): OrderStatus.picked,
    (OrderStatus.pending, Action.cancel): OrderStatus.cancelled,
    (OrderStatus.picked, Action.cancel): OrderStatus.cancelled,
    (OrderStatus.picked, Action.dispatch): OrderStatus.dispatched,
    (OrderStatus.dispatched, Action.deliver): OrderStatus.delivered,
    (OrderStatus.delivered, Action.pick_up): OrderStatus.delivered,
}

OPEN = frozenset({OrderStatus.pending, OrderStatus.picked, OrderStatus.dispatched})


class IllegalTransition(Exception):
    def __init__(self, status: OrderStatus, action: Action) -> None:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s == status)
        super().__init__(
            f"An order that is {status.value} does not allow {action.value}"
            + (f"; it allows: {', '.join(allowed)}." if allowed else "; it is closed.")
        )
        self.status = status
        self.action = action


def next_status(status: OrderStatus, action: Action) -> OrderStatus:
    """The status after ``action``; IllegalTransition when the action is not allowed now."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None


def may(status: OrderStatus, action: Action) -> bool:
    return (status, action) in TRANSITIONS
