"""Fulfillment: make a placed order's seats active, each line on its own, or record why not.

It asks the course platform (commerce.platform) for every open line at once
and, as each answers, activates that seat's enrollment and completes its line
in a transaction of its own: one slow or failing course holds none of the
others back, and a later attempt redoes only the lines still open. The order
is complete when every line is. What to do after a failure is
commerce.retries' business.

The enrollment "module" of the reference shop claims every course-seat line;
this project sells nothing else, so every line is a seat. Fulfillment is
idempotent: a complete line or order is left alone.
"""
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from enum import Enum

from django.db import transaction

from commerce import orders
from commerce.models import Order, OrderLine
from commerce.platform import platform
from dashboard import clock, enrollments, selectors
from dashboard.models import Enrollment

logger = logging.getLogger(__name__)
LineStatus = OrderLine.Status


class Outcome(str, Enum):
    FULFILLED = "fulfilled"
    ALREADY_DONE = "already_done"
    NOT_PLACED = "not_placed"
    FAILED = "failed"


def fulfill(order_number: str) -> Outcome:
    """Fulfill the order's open lines. Raises the first line's error (TransientFulfillmentError)
    after every other line had its chance; the lines that succeeded stay done."""
    # The order with its lines in one read (every order has at least one line).
    every_line = list(OrderLine.objects.filter(order__number=order_number).select_related("order", "seat__course"))
    order = every_line[0].order if every_line else None
    if order is None or order.status == Order.Status.PENDING:
        logger.warning("order %s: not placed, nothing to fulfill", order_number)
        return Outcome.NOT_PLACED
    lines = [line for line in every_line if line.status == LineStatus.OPEN]
    if order.status == Order.Status.COMPLETE or not lines:
        logger.info("order %s: nothing left to fulfill", order_number)
        return Outcome.ALREADY_DONE

    errors = []
    for line, error in _ask_platform(order_number, lines):
        if error is None:
            _line_fulfilled(order_number, line.pk)
        else:
            logger.warning("order %s: %s failed: %s", order_number, line.seat.course.key, error)
            errors.append(error)
    if errors:
        raise errors[0]
    logger.info("order %s: fulfilled", order_number)
    return Outcome.FULFILLED


def _ask_platform(order_number: str, lines: list[OrderLine]) -> Iterator[tuple[OrderLine, BaseException | None]]:
    """Ask the platform for every line at once; yield each line with its error (or None) as it answers."""
    attempts = {line.pk: orders.count_attempt(line) for line in lines}
    if len(lines) == 1:  # the common case: no thread needed
        line = lines[0]
        try:
            platform().enroll(order_number, line.seat.course.key, attempts[line.pk])
        except Exception as error:  # handed to the caller like a thread's error
            yield line, error
        else:
            yield line, None
        return
    with ThreadPoolExecutor(max_workers=len(lines), thread_name_prefix="platform") as pool:
        asked = {
            pool.submit(platform().enroll, order_number, line.seat.course.key, attempts[line.pk]): line
            for line in lines
        }
        for answer in as_completed(asked):
            yield asked[answer], answer.exception()


def _line_fulfilled(order_number: str, line_id: int) -> None:
    """Activate the line's seat and complete it; the order too when it was the last one open."""
    with transaction.atomic(), clock.batched():
        # Every line in one read, with the order locked: this line, the others' outcomes, and the
        # receipt's wire after the change. Only the order's row is locked, as a plain locked read would.
        lines = list(
            OrderLine.objects.select_for_update(of=("order",)).select_related("order", "seat__course")
            .filter(order__number=order_number)
        )
        order = lines[0].order
        line = next(candidate for candidate in lines if candidate.pk == line_id)
        if line.status != LineStatus.OPEN:
            return
        enrollments.activate_pending(order.user_id, line.seat.course_id)
        others = [candidate for candidate in lines if candidate.pk != line_id]
        if all(other.status == LineStatus.COMPLETE for other in others):
            orders.move(order, Order.Status.COMPLETE, lines=lines)
        elif any(other.status == LineStatus.OPEN for other in others):
            orders.complete_line(order, line, lines)
        else:  # the others are done, some failed for good: the order shows it
            orders.complete_line(order, line, lines)
            failed = next(other for other in others if other.status == LineStatus.FULFILLMENT_ERROR)
            orders.move(order, Order.Status.FULFILLMENT_ERROR, failed.failure_reason, lines=lines)


def give_up(order_number: str, reason: str) -> Outcome:
    """After the last retry: the open lines fail with ``reason`` (their enrollments too); the order
    is in fulfillment_error. Lines already complete keep their seats."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(number=order_number)
        if order.status == Order.Status.COMPLETE:
            return Outcome.ALREADY_DONE
        for line in order.lines.filter(status=LineStatus.OPEN).select_related("seat"):
            enrollment = selectors.enrollment_of(order.user_id, line.seat.course_id)
            if enrollment is not None and enrollment.status == Enrollment.Status.PENDING:
                enrollments.fail(enrollment.pk, reason)
        if order.status == Order.Status.OPEN:
            orders.move(order, Order.Status.FULFILLMENT_ERROR, reason)
    logger.error("order %s: fulfillment failed for good: %s", order_number, reason)
    return Outcome.FAILED
