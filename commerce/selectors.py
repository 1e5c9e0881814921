"""Reads of orders: every module outside the services reads orders through these."""
from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from commerce.models import Order, OrderLine
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
    """The learner's orders changed after ``since`` (all of them for 0), oldest change first.

    Read without ``prefetch_related``, which links each order and its lines both ways: a
    reference cycle. Socket servers run catch-ups on a thread beside a collector that freezes
    whatever is alive (realtime.collector), and a cycle frozen there is never freed.
    """
    orders = list(Order.objects.filter(user_id=user_id, version__gt=since).order_by("version"))
    if not orders:
        return []
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in OrderLine.objects.filter(order__in=orders).select_related("seat__course"):
        lines[line.order_id].append(line)
    return [to_wire(order, lines[order.pk]) for order in orders]


def order_for_learner(user_id: int, number: str) -> Order | None:
    """The learner's order with its lines, seats and courses; None when it is not theirs."""
    return Order.objects.prefetch_related("lines__seat__course").filter(user_id=user_id, number=number).first()


def recent_orders(user_id: int, limit: int = 10) -> list[Order]:
    """The learner's latest orders with their lines (attempts, outcomes), newest first."""
    return list(Order.objects.filter(user_id=user_id).prefetch_related("lines__seat__course").order_by("-created")[:limit])


def parked_count() -> int:
    """Open orders the broker refused, waiting for the relay."""
    return Order.objects.filter(status=Order.Status.OPEN, awaiting_broker=True).count()
