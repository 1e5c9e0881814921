"""Fulfillment on a real Celery worker process over the real Redis broker."""
import os

import pytest
from channels.db import database_sync_to_async

from commerce import dispatch
from commerce.models import Order, OrderLine, Seat
from dashboard import enrollments
from dashboard.models import Enrollment
from dashboard.tests.factories import make_course
from devstack.processes import amqp_answers, free_port, wait_until
from realtime.testing import connect_dashboard

pytestmark = pytest.mark.django_db(transaction=True)


def place_free_order(client, seat, request_id: str = "") -> str:
    response = client.post(
        "/api/v1/orders/", {"course_id": seat.course.key, "mode": seat.mode}, content_type="application/json",
        **({"HTTP_X_REQUEST_ID": request_id} if request_id else {}),
    )
    assert response.status_code == 201, response.content
    return response.json()["number"]


def enrollment_status(user, course) -> str:
    return Enrollment.objects.get(user=user, course=course).status


def test_worker_turns_pending_into_active(worker, user_client, free_seat):
    number = place_free_order(user_client, free_seat, request_id="checkout-7f3a")
    assert enrollment_status(user_client.user, free_seat.course) == "pending"

    wait_until(lambda: enrollment_status(user_client.user, free_seat.course) == "active", 30, "the worker to fulfill")
    assert Order.objects.get(number=number).status == "complete"
    wait_until(lambda: f"order {number}: fulfilled" in worker.log_text(), 10, "the worker to log it")
    publish_lines = [line for line in worker.log_text().splitlines() if "realtime.publishing" in line]
    assert any(f"[order={number} req=checkout-7f3a]" in line for line in publish_lines), (
        "the push is logged with its order and the request id of the checkout that enqueued it"
    )


def test_worker_gives_up_after_retries_with_reason_on_tile(start_worker_with, user_client, free_seat):
    failing = start_worker_with(FULFILLMENT_FAILURE_RATE="1", FULFILLMENT_MAX_RETRIES="2")
    number = place_free_order(user_client, free_seat)

    wait_until(lambda: enrollment_status(user_client.user, free_seat.course) == "failed", 30, "the task to give up")
    order = Order.objects.get(number=number)
    assert order.status == "fulfillment_error"
    enrollment = Enrollment.objects.get(user=user_client.user)
    assert "did not confirm" in enrollment.failure_reason
    # The worker's log lines reach its file a moment after the commit.
    wait_until(lambda: "failed for good" in failing.log_text(), 10, "the worker to log giving up")
    assert failing.log_text().count(f"order {number}: fulfillment attempt") == 3
    tile = user_client.get("/dashboard/").content.decode()
    assert "did not confirm" in tile and 'data-role="retry"' in tile


async def test_page_converges_when_the_workers_publish_fails(start_worker_with, make_learner, settings):
    """The worker commits but cannot reach the channel layer's Redis: the heartbeat's
    version tells the client it is behind, and its hello catches it up."""
    settings.REALTIME_HEARTBEAT_SECONDS = 0.3
    start_worker_with(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # the channel layer: nobody there
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,  # the broker: the real one
    )
    learner = await database_sync_to_async(make_learner)()
    course = await database_sync_to_async(make_course)()
    await database_sync_to_async(enrollments.start)(learner.user.pk, course, "audit")
    socket, _ = await connect_dashboard(learner)
    known = (await socket.hello(0))["version"]

    def order_for_enrollment() -> str:
        seat = Seat.objects.create(course=course, mode="audit", price=0)
        order = Order.objects.create(number="LP-PUBFAIL", user=learner.user, total=0, status="open")
        OrderLine.objects.create(order=order, seat=seat, price=0)
        return order.number

    number = await database_sync_to_async(order_for_enrollment)()
    await database_sync_to_async(dispatch.send)(number)

    while True:  # the client's rule: a heartbeat ahead of what we know asks for a resync
        heartbeat = await socket.expect("heartbeat", within=30)
        if heartbeat["version"] > known:
            break
    catchup = await socket.hello(since=known)
    assert [(e["course_id"], e["status"]) for e in catchup["enrollments"]] == [(course.key, "active")]
    assert not [m for m in socket.received if m["type"] == "enrollment.updated"], "publish should have failed"
    await socket.close()


@pytest.mark.any_database  # the broker is the variable; the Redis worker tests also run on PostgreSQL
def test_worker_over_rabbitmq(start_worker_with, user_client, free_seat, monkeypatch, settings):
    """The same fulfillment with RabbitMQ as the broker (CELERY_BROKER_URL=amqp://...)."""
    from commerce.tasks import fulfill_order
    from config.celery import app

    url = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
    if not amqp_answers(url):
        pytest.skip(f"no RabbitMQ answers at {url}")
    start_worker_with(CELERY_BROKER_URL=url)

    def enqueue_over_amqp(order_number: str) -> bool:
        with app.connection_for_write(url) as connection:
            fulfill_order.apply_async([order_number], queue=settings.CELERY_TASK_DEFAULT_QUEUE, connection=connection)
        return True

    monkeypatch.setattr("commerce.dispatch.send", enqueue_over_amqp)
    number = place_free_order(user_client, free_seat)
    wait_until(lambda: enrollment_status(user_client.user, free_seat.course) == "active", 30, "fulfillment over RabbitMQ")
    assert Order.objects.get(number=number).status == "complete"
