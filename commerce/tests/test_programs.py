"""Programs: several seats in one order, each line fulfilled on its own."""
import threading
from decimal import Decimal

import pytest

from commerce import checkout, fulfillment
from commerce.models import Order, OrderLine, Program, Seat
from commerce.platform import REJECTED, TransientFulfillmentError
from config.live import item_changed
from dashboard.models import Enrollment
from dashboard.tests.factories import make_course

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def instant(settings):
    settings.FULFILLMENT_DELAY_SECONDS = 0
    settings.FULFILLMENT_FAILURE_RATE = 0
    settings.FULFILLMENT_FAILING_COURSES = {}


def make_program(price: str = "0", mode: str = "audit") -> Program:
    program = Program.objects.create(key=f"program-v1:Test+P{Program.objects.count()}+{mode}", title="A program")
    for n in range(3):
        seat = Seat.objects.create(course=make_course(title=f"Course {n}"), mode=mode, price=Decimal(price))
        program.seats.add(seat)
    return program


def statuses(order: Order) -> dict[str, str]:
    return {line.seat.course.key: line.status for line in order.lines.select_related("seat__course")}


def enrollment_statuses(user) -> dict[str, str]:
    return dict(Enrollment.objects.filter(user=user).values_list("course__key", "status"))


def test_a_program_is_one_order_with_a_line_per_seat_all_pending_at_once(user_client, enqueued):
    program = make_program()
    response = user_client.post("/api/v1/orders/", {"program_id": program.key}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open" and body["total"] == "0.00"
    assert [line["status"] for line in body["lines"]] == ["open"] * 3
    assert set(enrollment_statuses(user_client.user).values()) == {"pending"}
    assert len(enrollment_statuses(user_client.user)) == 3
    assert enqueued == [body["number"]], "one order, one task"


def test_the_api_takes_several_lines_in_one_order(user_client, enqueued):
    seats = list(make_program(price="25.00", mode="verified").seats.select_related("course"))
    lines = [{"course_id": seat.course.key, "mode": seat.mode} for seat in seats]
    response = user_client.post("/api/v1/orders/", {"lines": lines}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["total"] == "75.00" and len(body["lines"]) == 3
    again = user_client.post("/api/v1/orders/", {"lines": lines}, content_type="application/json")
    assert again.status_code == 200 and again.json()["number"] == body["number"], "awaiting payment: the same order"


@pytest.mark.parametrize("payload,field", [
    ({"lines": []}, "lines"),
    ({"program_id": "program-v1:No+Such+Thing"}, "program_id"),
    ({"course_id": "X", "mode": "audit", "program_id": "Y"}, "course_id"),
    ({}, "course_id"),
    ({"lines": [{"course_id": "A", "mode": "weird"}]}, "lines.0.mode"),
])
def test_bad_orders_are_400_naming_the_field_and_change_nothing(user_client, enqueued, payload, field):
    response = user_client.post("/api/v1/orders/", payload, content_type="application/json")
    assert response.status_code == 400, response.content
    named = response.json()["error"]["fields"]
    assert any(key == field or key.startswith(f"{field}.") for key in named), named
    assert not Order.objects.exists() and enqueued == []


def test_the_same_course_twice_is_refused(user_client, enqueued):
    seat = next(iter(make_program().seats.select_related("course")))
    line = {"course_id": seat.course.key, "mode": seat.mode}
    response = user_client.post("/api/v1/orders/", {"lines": [line, line]}, content_type="application/json")
    assert response.status_code == 400 and "lines" in response.json()["error"]["fields"]
    assert not Order.objects.exists()


def test_one_failing_course_holds_the_others_back_not_and_a_retry_redoes_only_it(user_client, enqueued, settings):
    program = make_program()
    keys = sorted(seat.course.key for seat in program.seats.select_related("course"))
    settings.FULFILLMENT_FAILING_COURSES = {keys[1]: 99}
    order = checkout.checkout_seats(user_client.user.pk, checkout.program_seats(program.key)).order

    with pytest.raises(TransientFulfillmentError, match="rejected"):
        fulfillment.fulfill(order.number)
    assert statuses(order) == {keys[0]: "complete", keys[1]: "open", keys[2]: "complete"}
    assert enrollment_statuses(user_client.user) == {keys[0]: "active", keys[1]: "pending", keys[2]: "active"}
    with pytest.raises(TransientFulfillmentError):
        fulfillment.fulfill(order.number)  # the next attempt asks for the open line only
    assert dict(order.lines.values_list("seat__course__key", "attempts")) == {keys[0]: 1, keys[1]: 2, keys[2]: 1}

    fulfillment.give_up(order.number, REJECTED)
    order.refresh_from_db()
    assert order.status == "fulfillment_error" and order.failure_reason == REJECTED
    failed = order.lines.get(seat__course__key=keys[1])
    assert failed.status == "fulfillment_error" and failed.failure_reason == REJECTED
    assert enrollment_statuses(user_client.user) == {keys[0]: "active", keys[1]: "failed", keys[2]: "active"}

    done_versions = dict(Enrollment.objects.exclude(course__key=keys[1]).values_list("course__key", "version"))
    settings.FULFILLMENT_FAILING_COURSES = {}
    seat = failed.seat
    again = checkout.checkout(user_client.user.pk, seat.course.key, seat.mode)
    assert again.order == order and not again.created
    assert Order.objects.get(pk=order.pk).status == "open"
    assert fulfillment.fulfill(order.number) == fulfillment.Outcome.FULFILLED
    assert Order.objects.get(pk=order.pk).status == "complete"
    assert set(enrollment_statuses(user_client.user).values()) == {"active"}
    assert dict(Enrollment.objects.exclude(course__key=keys[1]).values_list("course__key", "version")) == done_versions


class GatedPlatform:
    """A course platform whose first course answers only once another course's seat is active:
    fulfilling the lines one after another would never get there."""

    first_course: str = ""
    another_done = threading.Event()

    def enroll(self, order_number: str, course_key: str, attempt: int) -> None:
        if course_key == self.first_course and not self.another_done.wait(timeout=20):
            raise TransientFulfillmentError("the other lines were held back")


def test_a_slow_course_does_not_hold_the_others_back(user_client, enqueued, settings):
    program = make_program()
    keys = sorted(seat.course.key for seat in program.seats.select_related("course"))
    GatedPlatform.first_course = keys[0]
    GatedPlatform.another_done.clear()
    settings.COURSE_PLATFORM = "commerce.tests.test_programs.GatedPlatform"

    def on_change(sender, kind, user_id, item, **kwargs):
        if kind == "enrollment" and item["status"] == "active" and item["course_id"] != keys[0]:
            GatedPlatform.another_done.set()

    item_changed.connect(on_change, dispatch_uid="test.gate")
    try:
        order = checkout.checkout_seats(user_client.user.pk, checkout.program_seats(program.key)).order
        assert fulfillment.fulfill(order.number) == fulfillment.Outcome.FULFILLED
    finally:
        item_changed.disconnect(dispatch_uid="test.gate")
    assert set(statuses(order).values()) == {"complete"}


def test_a_paid_program_waits_for_payment_then_places_every_line(user_client, enqueued, django_capture_on_commit_callbacks):
    from commerce import payments

    program = make_program(price="30.00", mode="verified")
    order = checkout.checkout_seats(user_client.user.pk, checkout.program_seats(program.key)).order
    assert order.status == "pending" and order.total == Decimal("90.00")
    assert not Enrollment.objects.exists()
    body, signature = payments.signed_notification(order, "pay-program")
    with django_capture_on_commit_callbacks(execute=True):
        payments.handle_notification(body, signature)
    assert Order.objects.get(pk=order.pk).status == "open"
    assert list(enrollment_statuses(user_client.user).values()) == ["pending"] * 3
    assert enqueued == [order.number]
    assert set(OrderLine.objects.filter(order=order).values_list("status", flat=True)) == {"open"}
