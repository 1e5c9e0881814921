"""Checkout: turn a learner's choice of seats (one course, or a program's) into an order, and place it.

Placing an order (at once when it is free, on the payment notification when
it has a price) makes the learner's enrollments pending in the same
transaction and enqueues ``fulfill_order`` once that transaction has committed.
"""
import logging
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils.translation import gettext as _

from commerce import dispatch, orders
from commerce import selectors as order_selectors
from commerce.models import Order, OrderLine, Program, Seat
from config.errors import DomainError
from config.logcontext import order_context
from dashboard import clock, enrollments, selectors

logger = logging.getLogger(__name__)

MAX_LINES = 20


class CheckoutError(DomainError):
    """The learner asked for something that cannot be sold; ``fields`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("invalid", message, {field: [message]})


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool
    # A new order's lines as written (with their seats): its answer needs no read after commit.
    lines: list[OrderLine] | None = None


def find_seat(course_key: str, mode: str) -> Seat:
    seats = {seat.mode: seat for seat in Seat.objects.select_related("course").filter(course__key=course_key)}
    if not seats:
        raise CheckoutError("course_id", _("There is no course %(key)r for sale.") % {"key": course_key})
    if mode not in seats:
        modes = ", ".join(sorted(seats))
        raise CheckoutError("mode", _("Course %(key)s is not sold as %(mode)r; it is sold as: %(modes)s.")
                            % {"key": course_key, "mode": mode, "modes": modes})
    return seats[mode]


def program_seats(program_key: str) -> list[Seat]:
    program = Program.objects.filter(key=program_key).first()
    if program is None:
        raise CheckoutError("program_id", _("There is no program %(key)r for sale.") % {"key": program_key})
    return list(program.seats.select_related("course").order_by("course__title"))


def checkout(user_id: int, course_key: str, mode: str, *, enqueue: bool = True) -> CheckoutResult:
    """Check out one seat (see ``checkout_seats``)."""
    return checkout_seats(user_id, [find_seat(course_key, mode)], enqueue=enqueue)


def checkout_seats(user_id: int, seats: list[Seat], *, enqueue: bool = True) -> CheckoutResult:
    """Create one order with a line per seat, leaving out the seats the learner already has.

    A seat the learner holds, has pending or awaits payment for is left out;
    one whose line failed is retried in its order (that line only). When no
    seat is left, the order of the first one is returned and nothing new is
    created. ``enqueue=False`` leaves fulfillment to the caller (the QA
    simulator drives it itself).
    """
    if not seats or len(seats) > MAX_LINES:
        raise CheckoutError("lines", _("An order has 1 to %(most)s lines.") % {"most": MAX_LINES})
    if len({seat.course_id for seat in seats}) != len(seats):
        raise CheckoutError("lines", _("Each course may appear once in an order."))
    with transaction.atomic(), clock.batched():
        # Serialize one learner's checkouts so a double click cannot create two orders.
        # NO KEY UPDATE (PostgreSQL): rows that merely reference the learner (the change log,
        # written by a fulfillment that holds the learner's clock) take KEY SHARE, which this lock
        # allows; FOR UPDATE deadlocked them against the clock this checkout then bumps. SQLite has
        # no row locks: its transaction (IMMEDIATE, see settings) already holds the database's
        # write lock, so the read would lock nothing and is not sent.
        if connection.features.has_select_for_update:
            get_user_model().objects.select_for_update(no_key=True).filter(pk=user_id).first()
        new_seats, existing_orders = [], []
        for seat in seats:
            existing = _existing_order(user_id, seat, enqueue)
            if existing is None:
                new_seats.append(seat)
            else:
                existing_orders.append(existing)
        if not new_seats:
            return CheckoutResult(existing_orders[0], created=False)
        order, lines = orders.create(_new_order_number(), user_id, new_seats)
        logger.info("order %s created for user %s: %s", order.number, user_id, ", ".join(map(str, new_seats)))
        if order.status == Order.Status.OPEN:  # free: placed at once
            _placed(order, new_seats, enqueue)
        return CheckoutResult(order, created=True, lines=lines)


def _existing_order(user_id: int, seat: Seat, enqueue: bool) -> Order | None:
    """The order that already covers the learner's seat in this course (retrying its line
    if that failed), or None when the seat is to be bought."""
    existing = order_selectors.latest_order_for_course(user_id, seat.course_id)
    if existing is None:
        return None
    line = existing.lines.select_related("seat__course").get(seat__course_id=seat.course_id)
    if line.status == OrderLine.Status.FULFILLMENT_ERROR:
        _retry(existing, line, enqueue)
        return existing
    if existing.status == Order.Status.PENDING or selectors.holds(selectors.enrollment_of(user_id, seat.course_id)):
        return existing
    return None


def place(order: Order, *, enqueue: bool = True) -> None:
    """Place a pending order (it was paid): open it, make its enrollments pending, enqueue fulfillment.

    The caller holds the order's row lock inside a transaction.
    """
    orders.move(order, Order.Status.OPEN)
    _placed(order, [line.seat for line in order.lines.select_related("seat__course")], enqueue)


def _placed(order: Order, seats: list[Seat], enqueue: bool) -> None:
    order_context.set(order.number)
    for seat in seats:
        enrollments.start(order.user_id, seat.course, seat.mode, paid=not seat.is_free)
    logger.info("order %s placed", order.number)
    if enqueue:
        transaction.on_commit(lambda: dispatch.send(order.number))


def retry_order(order_number: str) -> int:
    """Retry every failed line of the order (support's action); returns how many were reopened."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(number=order_number)
        failed = list(order.lines.filter(status=OrderLine.Status.FULFILLMENT_ERROR).select_related("seat__course"))
        for line in failed:
            _retry(order, line, enqueue=True)
    return len(failed)


def _retry(order: Order, line: OrderLine, enqueue: bool) -> None:
    """The learner retries one failed line: its seat is pending again and only it is fulfilled anew."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    enrollments.start(order.user_id, line.seat.course, line.seat.mode, paid=not line.seat.is_free)
    orders.reopen_line(order, line)
    orders.mark_due(order.number, delay_seconds=0)
    logger.info("order %s: %s retried at the learner's request", order.number, line.seat.course.key)
    if enqueue:
        transaction.on_commit(lambda: dispatch.send(order.number))


def _new_order_number() -> str:
    return f"LP-{secrets.token_hex(5).upper()}"
