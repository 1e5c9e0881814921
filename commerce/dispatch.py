"""Getting each placed order's fulfillment attempt to a worker: the one place that enqueues.

An open order carries when its next attempt is due (``fulfillment_due_at``,
set in the same write that places it) and whether that attempt is known to be
outside the broker (``awaiting_broker``):

- ``send(number)`` enqueues ``fulfill_order``; when the broker refuses, the
  order is parked (``awaiting_broker``) instead of being lost or failing the
  checkout.
- ``relay_parked()`` sends every parked order that is due; the relay in each
  worker (``commerce.relay``) calls it every second, so an order placed while
  the broker was down leaves within a second or two of the broker answering.
- ``resend_stalled()`` sends again an order in the broker whose attempt is far
  overdue: its worker was killed mid-task (the Redis broker would hand the
  task back only after its visibility timeout), or the broker lost it (a Redis
  restart without persistence). "Far" follows measured fulfillment times
  (``stall_threshold()``), so a queue that is merely long is not sent twice.

Fulfillment is idempotent, so the rare duplicate these allow is harmless.
"""
import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from commerce import selectors
from commerce.models import Order
from commerce.tasks import fulfill_order

logger = logging.getLogger(__name__)

LEASE_SECONDS = 30


def send(order_number: str) -> bool:
    """Enqueue the order's fulfillment; park it for the relay if the broker refuses."""
    if _publish(order_number):
        return True
    Order.objects.filter(number=order_number, status=Order.Status.OPEN).update(awaiting_broker=True)
    return False


def _publish(order_number: str) -> bool:
    try:
        fulfill_order.apply_async([order_number], queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    except Exception as exc:  # kombu raises the transport's own errors
        logger.error("order %s: could not enqueue fulfillment (%r); parked for the relay", order_number, exc)
        return False
    logger.info("order %s: fulfillment enqueued", order_number)
    return True


def relay_parked() -> list[str]:
    """Send every parked order whose attempt is due; return the numbers sent.

    Each is first leased (its due time moved ``LEASE_SECONDS`` ahead) so that
    another worker's relay passes it by; it stays parked until the broker took it.
    """
    now = timezone.now()
    due = Order.objects.filter(status=Order.Status.OPEN, awaiting_broker=True, fulfillment_due_at__lte=now)
    sent = []
    for number, due_at in due.order_by("fulfillment_due_at").values_list("number", "fulfillment_due_at")[:selectors.BATCH]:
        leased = Order.objects.filter(number=number, awaiting_broker=True, fulfillment_due_at=due_at).update(
            fulfillment_due_at=now + timedelta(seconds=LEASE_SECONDS)
        )
        if not leased:
            continue
        if _publish(number):
            Order.objects.filter(number=number).update(awaiting_broker=False, fulfillment_due_at=now)
            sent.append(number)
        else:
            Order.objects.filter(number=number).update(fulfillment_due_at=due_at)
    if sent:
        logger.info("relayed %d parked order(s) to the broker", len(sent))
    return sent


def resend_stalled() -> list[str]:
    """Send again every order whose attempt is overdue by more than ``stall_threshold()``."""
    now = timezone.now()
    threshold = stall_threshold()
    cutoff = now - timedelta(seconds=threshold)
    resent = []
    for number in selectors.stalled_orders(threshold, now):
        # Claim it by moving its due time, so that other relays pass it by.
        claimed = Order.objects.filter(number=number, awaiting_broker=False).filter(
            Q(fulfillment_due_at__isnull=True) | Q(fulfillment_due_at__lt=cutoff)
        ).update(fulfillment_due_at=now)
        if claimed:
            logger.warning("order %s: fulfillment overdue by more than %.0f s; sending it again", number, threshold)
            if send(number):
                resent.append(number)
    return resent


def stall_threshold() -> float:
    """Seconds past its due time after which an attempt counts as lost.

    ``FULFILLMENT_STALL_FACTOR`` times the 95th percentile of how long recent
    successful attempts took from due to done (queueing included, so a
    backlog raises it), never below ``FULFILLMENT_STALL_MIN_SECONDS`` nor
    above ``FULFILLMENT_STALL_SECONDS``.
    """
    since = timezone.now() - timedelta(seconds=settings.FULFILLMENT_STALL_WINDOW_SECONDS)
    recent = (
        Order.objects.filter(status=Order.Status.COMPLETE, fulfilled_at__gte=since)
        .exclude(fulfillment_due_at__isnull=True)
        .annotate(took=F("fulfilled_at") - F("fulfillment_due_at"))
        .order_by("-fulfilled_at")
        .values_list("took", flat=True)[:200]
    )
    took = sorted(max(0.0, t.total_seconds()) for t in recent if t is not None)
    p95 = took[min(len(took) - 1, math.ceil(0.95 * len(took)) - 1)] if took else 0.0
    floor, cap = settings.FULFILLMENT_STALL_MIN_SECONDS, settings.FULFILLMENT_STALL_SECONDS
    return min(cap, max(floor, settings.FULFILLMENT_STALL_FACTOR * p95))
