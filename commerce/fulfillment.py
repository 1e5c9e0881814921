"""Fulfillment: make a placed order's enrollments active, or record why not.

It asks the course platform (commerce.platform) to enroll the learner, then
activates the enrollments and completes the order in one transaction. What to
do after a failure is commerce.retries' business.

The enrollment "module" of the reference shop claims every course-seat line;
this project sells nothing else, so every line is a seat. Fulfillment is
idempotent: an order already complete is left alone.
"""
import logging
from enum import Enum

from django.db import transaction

from commerce import orders
from commerce.platform import platform
from commerce.models import Order
from dashboard import enrollments, selectors
from dashboard.models import Enrollment

logger = logging.getLogger(__name__)


class Outcome(str, Enum):
    FULFILLED = "fulfilled"
    ALREADY_DONE = "already_done"
    NOT_PLACED = "not_placed"
    FAILED = "failed"


def fulfill(order_number: str) -> Outcome:
    """Activate the order's enrollments and complete it. Raises TransientFulfillmentError."""
    order = Order.objects.filter(number=order_number).first()
    if order is None or order.status == Order.Status.PENDING:
        logger.warning("order %s: not placed, nothing to fulfill", order_number)
        return Outcome.NOT_PLACED
    if order.status == Order.Status.COMPLETE:
        logger.info("order %s: already complete", order_number)
        return Outcome.ALREADY_DONE

    platform().enroll(order_number)

    with transaction.atomic():
        order = Order.objects.select_for_update().get(number=order_number)
        if order.status == Order.Status.COMPLETE:
            return Outcome.ALREADY_DONE
        for line in order.lines.select_related("seat"):
            enrollments.activate_pending(order.user_id, line.seat.course_id)
        orders.move(order, Order.Status.COMPLETE)
    logger.info("order %s: fulfilled", order_number)
    return Outcome.FULFILLED


def give_up(order_number: str, reason: str) -> Outcome:
    """After the last retry: the order is in fulfillment_error, its enrollments failed."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(number=order_number)
        if order.status == Order.Status.COMPLETE:
            return Outcome.ALREADY_DONE
        if order.status == Order.Status.OPEN:
            orders.move(order, Order.Status.FULFILLMENT_ERROR, reason)
        for line in order.lines.select_related("seat"):
            enrollment = selectors.enrollment_of(order.user_id, line.seat.course_id)
            if enrollment is not None and enrollment.status == Enrollment.Status.PENDING:
                enrollments.fail(enrollment.pk, reason)
    logger.error("order %s: fulfillment failed for good: %s", order_number, reason)
    return Outcome.FAILED
