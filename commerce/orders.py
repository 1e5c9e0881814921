"""The order state machine: the one place an order or its lines change (and its next
fulfillment attempt's due time, ``mark_due``).

    (new)             -> pending | open     (seats to pay for await payment; free ones are placed at once)
    pending           -> open               (paid: the order is placed)
    open              -> complete           (every line is complete)
    open              -> fulfillment_error  (a line failed for good; the others keep their outcome)
    fulfillment_error -> open               (the learner retries a failed line)
    fulfillment_error -> complete           (the last failed line succeeded after all)

A line goes open -> complete | fulfillment_error on its own, and back to open
when its course is retried. An order is a live item (``commerce.live``): every
change takes the learner's next version and is announced after commit, so an
open receipt updates in place.
"""
from datetime import timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from commerce import wire
from commerce.models import Order, OrderLine, Seat
from dashboard import clock

Status = Order.Status
LineStatus = OrderLine.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.OPEN}),
    Status.OPEN: frozenset({Status.COMPLETE, Status.FULFILLMENT_ERROR}),
    Status.FULFILLMENT_ERROR: frozenset({Status.OPEN, Status.COMPLETE}),
    Status.COMPLETE: frozenset(),
}


class IllegalOrderTransition(Exception):
    def __init__(self, number: str, current: str, target: str) -> None:
        super().__init__(f"order {number} cannot go from {current} to {target}")


def create(number: str, user_id: int, seats: list[Seat]) -> tuple[Order, list[OrderLine]]:
    """A new order and its lines, one per seat. A free order is placed (open, its first fulfillment
    attempt due) in the same insert; one with a price waits for payment (pending)."""
    now = timezone.now()
    total = sum((seat.price for seat in seats), Decimal("0"))
    placed = {"status": Status.OPEN, "placed_at": now, "fulfillment_due_at": now} if total == 0 else {}
    order = Order.objects.create(
        number=number, user_id=user_id, total=total, currency=seats[0].currency, version=clock.bump(user_id), **placed
    )
    lines = OrderLine.objects.bulk_create([OrderLine(order=order, seat=seat, price=seat.price) for seat in seats])
    _announce(order, lines)
    return order, lines


def move(order: Order, target: str, reason: str = "", lines: list[OrderLine] | None = None) -> None:
    """Set ``order`` (locked by the caller) to ``target`` and save.

    Complete completes every line; fulfillment_error fails the lines still open, with ``reason``.
    ``lines``: all the order's lines as the caller read them (with their seats), kept in step
    with the database here, so announcing the order reads none again.
    """
    if target not in TRANSITIONS[order.status]:
        raise IllegalOrderTransition(order.number, order.status, target)
    order.status = target
    order.failure_reason = reason if target == Status.FULFILLMENT_ERROR else ""
    now = timezone.now()
    if target == Status.OPEN and order.placed_at is None:
        # A placed order's first fulfillment attempt is due at once; recorded in
        # this write rather than in another one after the task is enqueued.
        order.placed_at = order.fulfillment_due_at = now
    if target == Status.COMPLETE:
        order.fulfilled_at = now
    order.version = clock.bump(order.user_id)
    order.save(update_fields=["status", "failure_reason", "placed_at", "fulfilled_at", "fulfillment_due_at", "version"])
    if target == Status.COMPLETE:
        order.lines.exclude(status=LineStatus.COMPLETE).update(status=LineStatus.COMPLETE, failure_reason="")
        for line in lines or []:
            line.status, line.failure_reason = LineStatus.COMPLETE, ""
    elif target == Status.FULFILLMENT_ERROR:
        order.lines.filter(status=LineStatus.OPEN).update(status=LineStatus.FULFILLMENT_ERROR, failure_reason=reason)
        for line in lines or []:
            if line.status == LineStatus.OPEN:
                line.status, line.failure_reason = LineStatus.FULFILLMENT_ERROR, reason
    _announce(order, lines)



def complete_line(order: Order, line: OrderLine, lines: list[OrderLine] | None = None) -> None:
    """One line of ``order`` (locked by the caller) is fulfilled while others are not yet.

    ``lines``: as for ``move``; ``line`` is one of them."""
    _set_line(order, line, LineStatus.COMPLETE, lines)


def reopen_line(order: Order, line: OrderLine) -> None:
    """The learner retries a failed line: it is open again, and so is the order."""
    if order.status != Status.FULFILLMENT_ERROR:
        _set_line(order, line, LineStatus.OPEN)
        return
    line.status, line.failure_reason = LineStatus.OPEN, ""
    line.save(update_fields=["status", "failure_reason"])
    move(order, Status.OPEN)


def count_attempt(line: OrderLine) -> int:
    """Record that fulfillment asks the platform for this line (as just read) once more; returns
    the attempt's number (1-based). Two duplicate deliveries may count the same number: harmless."""
    OrderLine.objects.filter(pk=line.pk).update(attempts=F("attempts") + 1)
    return line.attempts + 1


def mark_due(order_number: str, delay_seconds: float) -> None:
    """Record when the queued attempt for this order should run."""
    due = timezone.now() + timedelta(seconds=delay_seconds)
    Order.objects.filter(number=order_number).update(fulfillment_due_at=due)


def _set_line(order: Order, line: OrderLine, status: str, lines: list[OrderLine] | None = None) -> None:
    line.status, line.failure_reason = status, ""
    line.save(update_fields=["status", "failure_reason"])
    order.version = clock.bump(order.user_id)
    order.save(update_fields=["version"])
    _announce(order, lines)


def _announce(order: Order, lines: list[OrderLine] | None = None) -> None:
    clock.record("order", order.user_id, order.number, wire.to_wire(order, lines))
