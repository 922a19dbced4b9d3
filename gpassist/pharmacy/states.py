"""The order's state machine, pure: ``pending → picked → dispatched → delivered``, or
``cancelled`` (with a reason) before dispatch. The patient's pick-up is recorded on a delivered
order without changing its status."""

from __future__ import annotations

import enum

from gpassist.labels import LabelledEnum


class OrderStatus(LabelledEnum):
    """Where a pharmacy order is, from pending to delivered (or cancelled)."""

    pending = "pending", "待配药", "To pick"
    picked = "picked", "已配药", "Picked"
    dispatched = "dispatched", "配送中", "On the way"
    delivered = "delivered", "已送达", "Delivered"
    cancelled = "cancelled", "已取消", "Cancelled"


class Action(enum.StrEnum):
    """What may happen to an order; ``TRANSITIONS`` says in which status."""

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
    """An action the order's status does not allow, naming those it does (a 409)."""

    def __init__(self, status: OrderStatus, action: Action) -> None:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s == status)
        super().__init__(
            f"An order that is {status.value} does not allow {action.value}"
            + (f"; it allows: {', '.join(allowed)}." if allowed else "; it is closed.")
        )
        self.status = status
        self.action = action


_ACTION_ZH = {
    Action.create: "下单",
    Action.pick: "配药",
    Action.dispatch: "发车配送",
    Action.deliver: "确认收货",
    Action.cancel: "取消",
    Action.pick_up: "登记取药",
}


# Statuses in which an action has been done already: "again" is the honest refusal there.
_DONE_ALREADY = {
    Action.pick: {OrderStatus.picked, OrderStatus.dispatched, OrderStatus.delivered},
    Action.dispatch: {OrderStatus.dispatched, OrderStatus.delivered},
    Action.deliver: {OrderStatus.delivered},
}


def illegal_transition_zh(status: OrderStatus, action: Action) -> str:
    """Why an order refuses ``action`` now, as the pharmacist or doctor would say it."""
    if status == OrderStatus.cancelled:
        return f"这张订单已取消，不能再{_ACTION_ZH[action]}。"
    if status in _DONE_ALREADY.get(action, ()):
        return f"这张订单{status.zh}，不能再次{_ACTION_ZH[action]}。请刷新订单查看。"
    if action == Action.deliver:  # the van has not left yet
        return f"这张订单{status.zh}，药还没有发出，送到后才能确认收货。"
    if action == Action.pick_up:
        return f"这张订单{status.zh}，药还没有送到卫生室，确认收货后才能登记取药。"
    return f"这张订单{status.zh}，现在不能{_ACTION_ZH[action]}。请刷新订单查看。"


def next_status(status: OrderStatus, action: Action) -> OrderStatus:
    """The status after ``action``; IllegalTransition when the action is not allowed now."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None


def may(status: OrderStatus, action: Action) -> bool:
    """Whether an order in ``status`` allows ``action``."""
    return (status, action) in TRANSITIONS
