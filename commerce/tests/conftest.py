from decimal import Decimal

import pytest

from commerce.models import Seat
from dashboard.tests.factories import make_course


@pytest.fixture
def enqueued(monkeypatch):
    """Order numbers sent to fulfill_order (the queue itself is tested with a real worker)."""
    sent: list[str] = []
    monkeypatch.setattr("commerce.tasks.fulfill_order.apply_async", lambda args, **kw: sent.append(args[0]))
    return sent


@pytest.fixture
def free_seat(db) -> Seat:
    return Seat.objects.create(course=make_course(title="Free Course"), mode="audit", price=Decimal("0"))


@pytest.fixture
def paid_seat(db) -> Seat:
    return Seat.objects.create(course=make_course(title="Paid Course"), mode="verified", price=Decimal("49.00"))
