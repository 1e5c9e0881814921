"""Fulfillment: make a placed order's enrollments active, or record why not.

The enrollment "module" of the reference shop claims every course-seat line;
this project sells nothing else, so every line is a seat. Fulfillment is
idempotent: an order already complete is left alone.
"""
import logging
import random
import time
from enum import Enum

from django.conf import settings
from django.db import transaction

from commerce import orders
from commerce.models import Order
from dashboard import enrollments
from dashboard.models import Enrollment

logger = logging.getLogger(__name__)


class TransientFulfillmentError(Exception):
    """The enrollment service did not answer as hoped; trying again may work."""


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

    _simulate_enrollment_call(order_number)

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
            enrollment = Enrollment.objects.get(user_id=order.user_id, course_id=line.seat.course_id)
            if enrollment.status == Enrollment.Status.PENDING:
                enrollments.fail(enrollment.pk, reason)
    logger.error("order %s: fulfillment failed for good: %s", order_number, reason)
    return Outcome.FAILED


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    Exponential with jitter: a random point in the upper half of
    ``min(cap, base * 2**attempt)``, so the wait still grows while a burst of
    failures does not come back all at once.
    """
    ceiling = min(cap, base * (2**attempt))
    return (rng or random).uniform(ceiling / 2, ceiling)


def _simulate_enrollment_call(order_number: str) -> None:
    """Stand-in for the call to the course platform: a configured delay and failure rate."""
    if settings.FULFILLMENT_DELAY_SECONDS > 0:
        time.sleep(settings.FULFILLMENT_DELAY_SECONDS)
    if random.random() < settings.FULFILLMENT_FAILURE_RATE:
        raise TransientFulfillmentError("The course platform did not confirm the enrollment in time.")
