"""The one shape of an order on the wire: the JSON API, the receipt page and the WebSocket."""
from typing import TypedDict

from django.urls import reverse

from commerce.models import Order, OrderLine


class OrderLineWire(TypedDict):
    course_id: str
    course_title: str
    mode: str
    status: str
    failure_reason: str
    url: str


class OrderWire(TypedDict):
    """One order (``Order`` in docs/asyncapi.yaml and docs/openapi.yaml)."""

    number: str
    status: str
    total: str
    currency: str
    failure_reason: str
    version: int
    payment_url: str | None
    receipt_url: str
    lines: list[OrderLineWire]


def to_wire(order: Order, lines: list[OrderLine] | None = None) -> OrderWire:
    """The order as its learner sees it; ``lines`` with their seats and courses, or read here."""
    if lines is None:
        lines = list(order.lines.select_related("seat__course"))
    return OrderWire(
        number=order.number,
        status=order.status,
        total=str(order.total),
        currency=order.currency,
        failure_reason=order.failure_reason,
        version=order.version,
        payment_url=reverse("demo-pay", args=[order.number]) if order.status == Order.Status.PENDING else None,
        receipt_url=reverse("receipt", args=[order.number]),
        lines=[
            OrderLineWire(
                course_id=line.seat.course.key,
                course_title=line.seat.course.title,
                mode=line.seat.mode,
                status=line.status,
                failure_reason=line.failure_reason,
                url=reverse("course-home", args=[line.seat.course.key]),
            )
            for line in sorted(lines, key=lambda line: line.pk)
        ],
    )
