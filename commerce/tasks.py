"""Celery tasks of the shop."""
import logging
import time

from celery import shared_task
from django.db import DatabaseError

from commerce import fulfillment, orders, retries
from commerce.metrics import FULFILLMENT_OUTCOMES, FULFILLMENT_SECONDS
from config.logcontext import order_context

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def fulfill_order(self, order_number: str) -> str:
    """Fulfill one order (commerce.fulfillment); after a failure, do what commerce.retries decides.

    Safe to run twice: a complete order is left alone.
    """
    order_context.set(order_number)
    attempt = self.request.retries
    logger.info("order %s: fulfillment attempt %d", order_number, attempt + 1)
    started = time.monotonic()
    try:
        outcome = fulfillment.fulfill(order_number).value
    except retries.RETRYABLE as exc:
        _observe("retryable_error", started)
        decision = retries.after_failure(attempt, exc)
        if decision.give_up:
            outcome = fulfillment.give_up(order_number, decision.reason).value
            FULFILLMENT_OUTCOMES.labels(outcome).inc()
            return outcome
        logger.warning(
            "order %s: attempt %d failed (%s); retrying in %.1fs", order_number, attempt + 1, exc, decision.delay
        )
        try:
            orders.mark_due(order_number, decision.delay)
        except DatabaseError:
            # Not fatal: the relay may then send a duplicate, which is harmless.
            logger.warning("order %s: could not record the retry's due time", order_number)
        raise self.retry(exc=exc, countdown=decision.delay) from exc
    _observe(outcome, started)
    return outcome


def _observe(outcome: str, started: float) -> None:
    FULFILLMENT_SECONDS.labels(outcome).observe(time.monotonic() - started)
    FULFILLMENT_OUTCOMES.labels(outcome).inc()
