"""Celery tasks of the shop, and the one way to enqueue fulfillment."""
import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from commerce import fulfillment
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
            fulfillment.mark_due(order_number, countdown)
        except DatabaseError:
            # Not fatal: the sweeper may then send a duplicate, which is harmless.
            logger.warning("order %s: could not record the retry's due time", order_number)
        raise self.retry(exc=exc, countdown=countdown)
    _observe(outcome, started)
    return outcome


def _observe(outcome: str, started: float) -> None:
    FULFILLMENT_SECONDS.labels(outcome).observe(time.monotonic() - started)
    FULFILLMENT_OUTCOMES.labels(outcome).inc()


@shared_task(acks_late=True)
def requeue_stalled_orders() -> list[str]:
    """Enqueue again every placed order whose fulfillment should have run a while ago.

    Run by Celery beat every FULFILLMENT_SWEEP_SECONDS. Catches tasks that
    never reached the broker (it was down at checkout) and tasks the broker
    lost (a Redis restart without persistence). Fulfillment is idempotent, so
    a duplicate is harmless.
    """
    stalled = fulfillment.stalled_orders(settings.FULFILLMENT_STALL_SECONDS)
    for number in stalled:
        logger.warning("order %s: fulfillment stalled; enqueuing it again", number)
        if enqueue_fulfillment(number):
            fulfillment.mark_due(number, delay_seconds=0)
    return stalled


def enqueue_fulfillment(order_number: str) -> bool:
    """Send ``fulfill_order`` to the queue; a broker error is logged, not raised.

    The order is already committed as open, with its attempt due (set when it
    was placed, or by the caller), so it is not lost if this fails:
    ``requeue_stalled_orders`` sends it again once that due time has passed.
    """
    try:
        fulfill_order.apply_async([order_number], queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    except Exception as exc:  # kombu raises the transport's own errors
        logger.error("order %s: could not enqueue fulfillment (%r); the sweeper will retry", order_number, exc)
        return False
    logger.info("order %s: fulfillment enqueued", order_number)
    return True
