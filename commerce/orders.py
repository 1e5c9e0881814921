"""The order state machine: the one place an order's status changes (and its next
fulfillment attempt's due time, ``mark_due``).

An order is a live item (``commerce.live``): every change takes the learner's
next version and is announced after commit, so an open receipt updates in place.

    (new)             -> pending | open     (a paid seat awaits payment; a free one is placed at once)
    pending           -> open               (paid: the order is placed)
    open              -> complete | fulfillment_error
    fulfillment_error -> complete           (a retry succeeded)
"""
from datetime import timedelta

from django.utils import timezone

from commerce import wire
from commerce.models import Order, OrderLine, Seat
from config import live
from dashboard import clock

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


def create(number: str, user_id: int, seat: Seat) -> Order:
    """A new order for one seat, with its line. A free seat's order is placed (open, its first
    fulfillment attempt due) in the same insert; a paid one waits for payment (pending)."""
    now = timezone.now()
    placed = {"status": Status.OPEN, "placed_at": now, "fulfillment_due_at": now} if seat.is_free else {}
    order = Order.objects.create(
        number=number, user_id=user_id, total=seat.price, currency=seat.currency, version=clock.bump(user_id), **placed
    )
    line = OrderLine.objects.create(order=order, seat=seat, price=seat.price)
    _announce(order, [line])
    return order


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
    order.version = clock.bump(order.user_id)
    order.save(update_fields=["status", "failure_reason", "placed_at", "fulfilled_at", "fulfillment_due_at", "version"])
    line_status = {
        Status.COMPLETE: OrderLine.Status.COMPLETE,
        Status.FULFILLMENT_ERROR: OrderLine.Status.FULFILLMENT_ERROR,
    }.get(target)
    if line_status:
        order.lines.update(status=line_status)
    _announce(order)


def mark_due(order_number: str, delay_seconds: float) -> None:
    """Record when the queued attempt for this order should run."""
    due = timezone.now() + timedelta(seconds=delay_seconds)
    Order.objects.filter(number=order_number).update(fulfillment_due_at=due)


def _announce(order: Order, lines: list[OrderLine] | None = None) -> None:
    live.announce("order", order.user_id, wire.to_wire(order, lines))
