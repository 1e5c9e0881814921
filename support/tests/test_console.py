"""The support console: staff only, what it shows, and every action written to the change log."""
import json
import logging

import pytest
from django.test import Client

from commerce import checkout, fulfillment
from commerce.platform import REJECTED
from config.logcontext import JsonFormatter, OrderContextFilter
from dashboard import enrollments
from dashboard.models import Change
from dashboard.tests.factories import make_course, make_user
from realtime.testing import connect_dashboard

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client() -> Client:
    """A test client of its own (``user_client`` has Django's ``client``), logged in as a staff member."""
    staff = make_user("grace")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    return client


def console_urls(learner_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/support/"), ("get", "/support/?q=a"), ("get", "/support/overview/"),
        ("get", f"/support/learners/{learner_id}/"), ("get", f"/api/v1/support/learners/{learner_id}/"),
        ("get", f"/api/v1/support/learners/{learner_id}/live/"),
        ("post", f"/support/learners/{learner_id}/actions/resync/"),
    ]


def test_every_console_page_and_api_is_403_for_a_learner(user_client):
    for method, url in console_urls(user_client.user.pk):
        response = getattr(user_client, method)(url)
        assert response.status_code == 403, url
    assert not Change.objects.filter(kind="support").exists()


def test_staff_find_a_learner_and_see_their_items_orders_and_change_log(staff_client, user_client, free_seat, enqueued,
                                                                         settings):
    settings.FULFILLMENT_DELAY_SECONDS = 0
    learner = user_client.user
    number = user_client.post("/api/v1/orders/", {"course_id": free_seat.course.key, "mode": "audit"},
                              content_type="application/json").json()["number"]
    found = staff_client.get("/support/", {"q": learner.username[:6]}).content.decode()
    assert f"/support/learners/{learner.pk}/" in found
    assert staff_client.get(f"/support/learners/{learner.pk}/").status_code == 200

    fulfillment.fulfill(number)
    view = staff_client.get(f"/api/v1/support/learners/{learner.pk}/").json()
    assert view["version"] == 4
    assert [(c["kind"], c["status"], c["actor"]) for c in view["history"]] == [
        ("order", "complete", "system"), ("enrollment", "active", "system"),
        ("enrollment", "pending", f"learner:{learner.username}"), ("order", "open", f"learner:{learner.username}"),
    ]
    assert view["orders"][0]["number"] == number and view["orders"][0]["lines"][0]["attempts"] == 1
    assert staff_client.get(f"/api/v1/support/learners/{learner.pk}/live/?since=3").json()["version"] == 4


def test_retrying_a_failed_order_is_logged_with_the_staff_member(staff_client, user_client, free_seat, enqueued):
    learner = user_client.user
    number = checkout.checkout(learner.pk, free_seat.course.key, "audit").order.number
    fulfillment.give_up(number, REJECTED)
    response = staff_client.post(f"/support/learners/{learner.pk}/actions/retry_order/", {"target": number},
                                 HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and "1 failed line(s) retried" in response.json()["done"]
    assert enqueued[-1] == number
    logged = Change.objects.filter(user=learner, kind="support").get()
    assert (logged.key, logged.actor) == ("retry_order", "staff:grace")
    reopened = Change.objects.filter(user=learner, kind="order").order_by("-version").first()
    assert (reopened.status, reopened.actor) == ("open", "staff:grace")


@pytest.mark.parametrize("action,target", [("close_socket", "specific.gone!x"), ("retry_order", "LP-NOPE"), ("explode", "")])
def test_an_action_that_cannot_be_done_says_why_and_logs_nothing(staff_client, user_client, action, target):
    response = staff_client.post(f"/support/learners/{user_client.user.pk}/actions/{action}/", {"target": target},
                                 HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "refused"
    assert not Change.objects.filter(kind="support").exists()


async def test_staff_resync_and_close_reach_the_learners_socket(staff_client, learner):
    from channels.db import database_sync_to_async

    course = await database_sync_to_async(make_course)()
    await database_sync_to_async(enrollments.start)(learner.user.pk, course, "audit")
    socket, _ = await connect_dashboard(learner)
    await socket.hello(1, protocol=2)
    act = database_sync_to_async(staff_client.post)
    assert (await act(f"/support/learners/{learner.user.pk}/actions/resync/")).status_code == 302
    resynced = await socket.expect("catchup")
    assert [entry["key"] for entry in resynced["items"]] == [course.key], "a full catch-up"

    view = await database_sync_to_async(staff_client.get)(f"/api/v1/support/learners/{learner.user.pk}/")
    channel = view.json()["sockets"][-1]["channel"]  # the newest: this one
    await act(f"/support/learners/{learner.user.pk}/actions/close_socket/", {"target": channel})
    error = await socket.expect("error")
    assert error["code"] == "closed_by_support"
    closed = await socket.connection.receive_output(timeout=2)
    assert closed["code"] == 4001


async def test_a_non_staff_watch_socket_is_closed_4403(learner):
    from channels.testing import WebsocketCommunicator

    from realtime.routing import websocket_application

    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", learner.cookie_header.encode())]
    communicator = WebsocketCommunicator(websocket_application(), f"/ws/support/learners/{learner.user.pk}/", headers=headers)
    await communicator.connect(timeout=5)
    assert json.loads(await communicator.receive_from())["code"] == "forbidden"
    assert (await communicator.receive_output(timeout=2))["code"] == 4403


def test_json_logs_carry_the_request_id_actor_and_order(user_client, free_seat, enqueued):
    response = user_client.post("/api/v1/orders/", {"course_id": free_seat.course.key, "mode": "audit"},
                                content_type="application/json", HTTP_X_REQUEST_ID="req-42")
    assert response["X-Request-ID"] == "req-42"
    record = logging.LogRecord("commerce", logging.INFO, __file__, 1, "order %s placed", ("LP-1",), None)
    from config.logcontext import acting_as, order_context, request_context

    with acting_as("worker"):
        token, order = request_context.set("req-42"), order_context.set("LP-1")
        OrderContextFilter().filter(record)
        request_context.reset(token)
        order_context.reset(order)
    line = json.loads(JsonFormatter().format(record))
    assert {k: line[k] for k in ("message", "request_id", "actor", "order", "level")} == {
        "message": "order LP-1 placed", "request_id": "req-42", "actor": "worker", "order": "LP-1", "level": "INFO",
    }


async def test_the_overview_shows_sockets_per_node_and_the_ones_lagging(staff_client, learner, settings):
    from channels.db import database_sync_to_async

    from realtime import presence

    course = await database_sync_to_async(make_course)()
    await database_sync_to_async(enrollments.start)(learner.user.pk, course, "audit")  # the learner is at version 1
    await presence.join(learner.user.pk, "specific.lagging!socket")  # last sent version 0
    try:
        html = (await database_sync_to_async(staff_client.get)("/support/overview/")).content.decode()
    finally:
        await presence.leave(learner.user.pk, "specific.lagging!socket")
    assert settings.REALTIME_NODE in html
    lagging = html[html.index('data-role="lagging"'):html.index('data-role="pollers"')]
    assert f"/support/learners/{learner.user.pk}/" in lagging and "<td>1</td>" in lagging


async def test_the_overview_counts_deliveries_per_second_across_nodes(staff_client):
    import re

    from channels.db import database_sync_to_async

    from realtime import presence

    async def shown() -> float:
        html = (await database_sync_to_async(staff_client.get)("/support/overview/")).content.decode()
        found = re.search(r'data-role="deliveries">([0-9.]+)<', html)
        assert found, "the overview shows no deliveries figure"
        return float(found.group(1))

    before = await shown()
    await presence.count_deliveries(90)  # as if two nodes' hubs had reported this second
    await presence.count_deliveries(30)
    assert await shown() == pytest.approx(before + 2.0)
