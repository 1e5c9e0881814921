"""Reads of orders: every module outside the services reads orders through these."""
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from commerce.models import Order
from commerce.wire import OrderWire, to_wire

BATCH = 500


def latest_order_for_course(user_id: int, course_id: int) -> Order | None:
    return (
        Order.objects.filter(user_id=user_id, lines__seat__course_id=course_id)
        .order_by("-created", "-pk")
        .first()
    )


def stalled_orders(stall_seconds: float, now: datetime | None = None) -> list[str]:
    """Open orders in the broker whose attempt was due more than ``stall_seconds`` ago."""
    cutoff = (now or timezone.now()) - timedelta(seconds=stall_seconds)
    return list(
        Order.objects.filter(status=Order.Status.OPEN, awaiting_broker=False, placed_at__lt=cutoff)
        .filter(Q(fulfillment_due_at__isnull=True) | Q(fulfillment_due_at__lt=cutoff))
        .order_by("placed_at")
        .values_list("number", flat=True)[:BATCH]
    )


def orders_changed_since(user_id: int, since: int = 0) -> list[OrderWire]:
    """The learner's orders changed after ``since`` (all of them for 0), oldest change first."""
    rows = Order.objects.filter(user_id=user_id, version__gt=since).prefetch_related("lines__seat__course")
    return [to_wire(order, list(order.lines.all())) for order in rows.order_by("version")]


def order_for_learner(user_id: int, number: str) -> Order | None:
    """The learner's order with its lines, seats and courses; None when it is not theirs."""
    return Order.objects.prefetch_related("lines__seat__course").filter(user_id=user_id, number=number).first()


def recent_orders(user_id: int, limit: int = 10) -> list[Order]:
    """The learner's latest orders with their lines (attempts, outcomes), newest first."""
    return list(Order.objects.filter(user_id=user_id).prefetch_related("lines__seat__course").order_by("-created")[:limit])


def parked_count() -> int:
    """Open orders the broker refused, waiting for the relay."""
    return Order.objects.filter(status=Order.Status.OPEN, awaiting_broker=True).count()
