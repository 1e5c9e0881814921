"""Fulfillment on a real Celery worker process over the real Redis broker."""
import pytest

from commerce.models import Order
from dashboard.models import Enrollment
from devstack.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def place_free_order(client, seat) -> str:
    response = client.post(
        "/api/v1/orders/", {"course_id": seat.course.key, "mode": seat.mode}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()["number"]


def enrollment_status(user, course) -> str:
    return Enrollment.objects.get(user=user, course=course).status


def test_worker_turns_pending_into_active(worker, shopper, free_seat):
    number = place_free_order(shopper, free_seat)
    assert enrollment_status(shopper.user, free_seat.course) == "pending"

    wait_until(lambda: enrollment_status(shopper.user, free_seat.course) == "active", 30, "the worker to fulfill")
    assert Order.objects.get(number=number).status == "complete"
    assert f"order {number}: fulfilled" in worker.log_text()


def test_worker_gives_up_after_retries_with_reason_on_tile(start_worker_with, shopper, free_seat):
    failing = start_worker_with(FULFILLMENT_FAILURE_RATE="1", FULFILLMENT_MAX_RETRIES="2")
    number = place_free_order(shopper, free_seat)

    wait_until(lambda: enrollment_status(shopper.user, free_seat.course) == "failed", 30, "the task to give up")
    order = Order.objects.get(number=number)
    assert order.status == "fulfillment_error"
    enrollment = Enrollment.objects.get(user=shopper.user)
    assert "did not confirm" in enrollment.failure_reason
    log = failing.log_text()
    assert log.count(f"order {number}: fulfillment attempt") == 3
    assert "failed for good" in log
    tile = shopper.get("/dashboard/").content.decode()
    assert "did not confirm" in tile and 'data-role="retry"' in tile
