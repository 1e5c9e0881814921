"""Getting attempts to the broker: parking, relaying, the stalled-order sweep and its measured threshold.

The broker itself is exercised by the worker and fault tests; here a refusal
is the exception kombu raises, so that the bookkeeping can be checked exactly.
"""
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from commerce import dispatch, orders, selectors
from commerce.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("commerce.tasks.fulfill_order.apply_async", refuse)


@pytest.fixture
def place(django_capture_on_commit_callbacks):
    """Check out through the API, running what is due on commit (the enqueue)."""

    def place_(client, seat) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/v1/orders/", {"course_id": seat.course.key, "mode": seat.mode}, content_type="application/json"
            )
        assert response.status_code == 201, response.content
        return Order.objects.get(number=response.json()["number"])

    return place_


def age(order: Order, seconds: float) -> None:
    """Pretend the order was placed, and its attempt due, ``seconds`` ago."""
    then = timezone.now() - timedelta(seconds=seconds)
    Order.objects.filter(pk=order.pk).update(placed_at=then, fulfillment_due_at=then)


def test_an_order_the_broker_refuses_is_parked_not_lost(place, user_client, free_seat, broker_down, caplog):
    order = place(user_client, free_seat)  # the learner still gets 201 and a pending tile
    order.refresh_from_db()
    assert order.status == "open" and order.awaiting_broker
    assert "parked for the relay" in caplog.text


def test_the_relay_sends_parked_orders_once_the_broker_answers(place, user_client, free_seat, broker_down, monkeypatch):
    order = place(user_client, free_seat)
    assert dispatch.relay_parked() == []  # still down: parked again
    assert Order.objects.get(pk=order.pk).awaiting_broker

    sent: list[str] = []
    monkeypatch.setattr("commerce.tasks.fulfill_order.apply_async", lambda args, **kw: sent.append(args[0]))
    assert dispatch.relay_parked() == [order.number] == sent
    assert not Order.objects.get(pk=order.pk).awaiting_broker
    assert dispatch.relay_parked() == [] and sent == [order.number], "sent once"


def test_a_parked_retry_waits_for_its_due_time(place, user_client, free_seat, enqueued):
    order = place(user_client, free_seat)
    Order.objects.filter(pk=order.pk).update(awaiting_broker=True)
    orders.mark_due(order.number, delay_seconds=60)
    enqueued.clear()
    assert dispatch.relay_parked() == [] and enqueued == []


def test_stalled_orders_are_overdue_ones_in_the_broker(place, user_client, free_seat, paid_seat, enqueued):
    order = place(user_client, free_seat)
    place(user_client, paid_seat)  # awaiting payment: never stalled
    assert selectors.stalled_orders(60) == []  # just placed

    age(order, 600)
    assert selectors.stalled_orders(60) == [order.number]
    Order.objects.filter(pk=order.pk).update(fulfillment_due_at=None)  # never got a due time
    assert selectors.stalled_orders(60) == [order.number]

    orders.mark_due(order.number, delay_seconds=300)  # a retry is scheduled
    assert selectors.stalled_orders(60) == []

    age(order, 600)
    Order.objects.filter(pk=order.pk).update(awaiting_broker=True)  # the relay's, not the sweep's
    assert selectors.stalled_orders(60) == []

    Order.objects.filter(pk=order.pk).update(awaiting_broker=False, status="complete")
    assert selectors.stalled_orders(60) == []


def test_resend_stalled_sends_each_overdue_order_once(place, user_client, free_seat, enqueued, settings):
    settings.FULFILLMENT_STALL_MIN_SECONDS = 20
    order = place(user_client, free_seat)
    enqueued.clear()
    age(order, 21)
    assert dispatch.resend_stalled() == [order.number] == enqueued
    assert dispatch.resend_stalled() == [], "its due time moved: not stalled again until the threshold passes"


def finished(user, took: float) -> None:
    """A completed order whose successful attempt took ``took`` seconds from due to done."""
    now = timezone.now()
    Order.objects.create(
        number=f"LP-T{Order.objects.count()}", user=user, total=0, status="complete",
        placed_at=now - timedelta(seconds=took), fulfillment_due_at=now - timedelta(seconds=took), fulfilled_at=now,
    )


def test_the_stall_threshold_follows_measured_fulfillment_times(user_client, settings):
    settings.FULFILLMENT_STALL_FACTOR = 3
    settings.FULFILLMENT_STALL_MIN_SECONDS = 20
    settings.FULFILLMENT_STALL_SECONDS = 120
    assert dispatch.stall_threshold() == 20, "no history: the floor"

    for n in range(20):
        finished(user_client.user, took=10.0 if n < 19 else 90.0)  # the p95 of twenty is the 19th smallest
    assert dispatch.stall_threshold() == pytest.approx(30)

    settings.FULFILLMENT_STALL_FACTOR = 20
    assert dispatch.stall_threshold() == 120, "capped"
