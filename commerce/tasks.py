"""Celery tasks of the shop."""
import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from commerce import dispatch, fulfillment
from commerce.metrics import FULFILLMENT_OUTCOMES, FULFILLMENT_SECONDS
from config.logcontext import order_context

logger = logging.getLogger(__name__)

RETRYABLE = (fulfillment.TransientFulfillmentError, DatabaseError)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def fulfill_order(self, order_number: str) -> str:
    """Fulfill one order. Safe to run twice: a complete order is left alone.

    Transient errors (the simulated platform, a database that is briefly
    unreachable) are retried with exponential backoff and jitter; after
    ``FULFILLMENT_MAX_RETRIES`` the order ends in fulfillment_error and the
    learner's tile says why.
    """
    order_context.set(order_number)
    attempt = self.request.retries
    logger.info("order %s: fulfillment attempt %d", order_number, attempt + 1)
    started = time.monotonic()
    try:
        outcome = fulfillment.fulfill(order_number).value
    except RETRYABLE as exc:
        _observe("retryable_error", started)
        if attempt >= settings.FULFILLMENT_MAX_RETRIES:
            reason = str(exc) if isinstance(exc, fulfillment.TransientFulfillmentError) else (
                "The seat could not be prepared. Please try again."
            )
            outcome = fulfillment.give_up(order_number, reason).value
            FULFILLMENT_OUTCOMES.labels(outcome).inc()
            return outcome
        countdown = fulfillment.retry_delay(
            attempt,
            settings.FULFILLMENT_RETRY_BACKOFF_SECONDS,
            settings.FULFILLMENT_RETRY_BACKOFF_MAX_SECONDS,
        )
        logger.warning(
            "order %s: attempt %d failed (%s); retrying in %.1fs", order_number, attempt + 1, exc, countdown
        )
        try:
            dispatch.mark_due(order_number, countdown)
        except DatabaseError:
            # Not fatal: the relay may then send a duplicate, which is harmless.
            logger.warning("order %s: could not record the retry's due time", order_number)
        raise self.retry(exc=exc, countdown=countdown)
    _observe(outcome, started)
    return outcome


def _observe(outcome: str, started: float) -> None:
    FULFILLMENT_SECONDS.labels(outcome).observe(time.monotonic() - started)
    FULFILLMENT_OUTCOMES.labels(outcome).inc()
