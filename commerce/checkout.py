"""Checkout: turn a learner's choice of seat into an order, and place it.

Placing an order (at once for a free seat, on the payment notification for a
paid one) makes the learner's enrollment pending in the same transaction and
enqueues ``fulfill_order`` once that transaction has committed.
"""
import logging
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from commerce import dispatch, orders
from commerce import selectors as order_selectors
from commerce.models import Order, Seat
from config.errors import DomainError
from config.logcontext import order_context
from dashboard import enrollments, selectors

logger = logging.getLogger(__name__)


class CheckoutError(DomainError):
    """The learner asked for something that cannot be sold; ``fields`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("invalid", message, {field: [message]})


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool


def find_seat(course_key: str, mode: str) -> Seat:
    seats = {seat.mode: seat for seat in Seat.objects.select_related("course").filter(course__key=course_key)}
    if not seats:
        raise CheckoutError("course_id", f"There is no course {course_key!r} for sale.")
    if mode not in seats:
        modes = ", ".join(sorted(seats))
        raise CheckoutError("mode", f"Course {course_key} is not sold as {mode!r}; it is sold as: {modes}.")
    return seats[mode]


def checkout(user_id: int, course_key: str, mode: str, *, enqueue: bool = True) -> CheckoutResult:
    """Create an order for the seat, or return the learner's existing one for that course.

    A learner who already holds the course, has it pending or awaits payment
    for it gets that order back and nothing new is created; an order whose
    fulfillment failed is retried. ``enqueue=False`` leaves fulfillment to the
    caller (the QA simulator drives it itself).
    """
    seat = find_seat(course_key, mode)
    with transaction.atomic():
        # Serialize one learner's checkouts so a double click cannot create two orders.
        get_user_model().objects.select_for_update().filter(pk=user_id).first()
        existing = order_selectors.latest_order_for_course(user_id, seat.course_id)
        enrollment = selectors.enrollment_of(user_id, seat.course_id)
        if existing is not None:
            if existing.status == Order.Status.FULFILLMENT_ERROR:
                _retry(existing, enqueue)
                return CheckoutResult(existing, created=False)
            if existing.status == Order.Status.PENDING or selectors.holds(enrollment):
                return CheckoutResult(existing, created=False)
        order = orders.create(_new_order_number(), user_id, seat)
        logger.info("order %s created for user %s: %s", order.number, user_id, seat)
        if order.status == Order.Status.OPEN:  # a free seat: placed at once
            _placed(order, [seat], enqueue)
        return CheckoutResult(order, created=True)


def place(order: Order, *, enqueue: bool = True) -> None:
    """Place a pending order (it was paid): open it, make its enrollments pending, enqueue fulfillment.

    The caller holds the order's row lock inside a transaction.
    """
    orders.move(order, Order.Status.OPEN)
    _placed(order, [line.seat for line in order.lines.select_related("seat__course")], enqueue)


def _placed(order: Order, seats: list[Seat], enqueue: bool) -> None:
    order_context.set(order.number)
    for seat in seats:
        enrollments.start(order.user_id, seat.course, seat.mode)
    logger.info("order %s placed", order.number)
    if enqueue:
        transaction.on_commit(lambda: dispatch.send(order.number))


def _retry(order: Order, enqueue: bool) -> None:
    for line in order.lines.select_related("seat__course"):
        enrollments.start(order.user_id, line.seat.course, line.seat.mode)
    orders.mark_due(order.number, delay_seconds=0)
    logger.info("order %s: fulfillment retried at the learner's request", order.number)
    if enqueue:
        transaction.on_commit(lambda: dispatch.send(order.number))


def _new_order_number() -> str:
    return f"LP-{secrets.token_hex(5).upper()}"
