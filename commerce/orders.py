"""The order state machine: the one place an order's status changes.

    pending           -> open               (paid, or free: the order is placed)
    open              -> complete | fulfillment_error
    fulfillment_error -> complete           (a retry succeeded)
"""
from django.utils import timezone

from commerce.models import Order, OrderLine

Status = Order.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.OPEN}),
    Status.OPEN: frozenset({Status.COMPLETE, Status.FULFILLMENT_ERROR}),
    Status.FULFILLMENT_ERROR: frozenset({Status.COMPLETE}),
    Status.COMPLETE: frozenset(),
}


class IllegalOrderTransition(Exception):
    def __init__(self, number: str, current: str, target: str) -> None:
        super().__init__(f"order {number} cannot go from {current} to {target}")


def move(order: Order, target: str, reason: str = "") -> None:
    """Set ``order`` (locked by the caller) and its lines to ``target`` and save."""
    if target not in TRANSITIONS[order.status]:
        raise IllegalOrderTransition(order.number, order.status, target)
    order.status = target
    order.failure_reason = reason if target == Status.FULFILLMENT_ERROR else ""
    now = timezone.now()
    if target == Status.OPEN:
        # A placed order's first fulfillment attempt is due at once; recorded in
        # this write rather than in another one after the task is enqueued.
        order.placed_at = order.fulfillment_due_at = now
    if target == Status.COMPLETE:
        order.fulfilled_at = now
    order.save(update_fields=["status", "failure_reason", "placed_at", "fulfilled_at", "fulfillment_due_at"])
    line_status = {
        Status.COMPLETE: OrderLine.Status.COMPLETE,
        Status.FULFILLMENT_ERROR: OrderLine.Status.FULFILLMENT_ERROR,
    }.get(target)
    if line_status:
        order.lines.update(status=line_status)
