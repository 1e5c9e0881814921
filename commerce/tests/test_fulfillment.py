import random

import pytest

from commerce import fulfillment
from commerce.fulfillment import Outcome
from commerce.models import Order
from commerce.platform import TransientFulfillmentError
from commerce.retries import retry_delay
from dashboard.models import Change, Enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def instant(settings):
    settings.FULFILLMENT_DELAY_SECONDS = 0
    settings.FULFILLMENT_FAILURE_RATE = 0


@pytest.fixture
def open_order(user_client, free_seat, enqueued):
    response = user_client.post(
        "/api/v1/orders/", {"course_id": free_seat.course.key, "mode": "audit"}, content_type="application/json"
    )
    return Order.objects.get(number=response.json()["number"])


def test_fulfill_activates_and_completes(open_order):
    assert fulfillment.fulfill(open_order.number) == Outcome.FULFILLED
    open_order.refresh_from_db()
    assert open_order.status == "complete" and open_order.fulfilled_at
    assert set(open_order.lines.values_list("status", flat=True)) == {"complete"}
    assert Enrollment.objects.get().status == "active"


def statements(queries, start: str, table: str) -> int:
    return sum(1 for query in queries if query["sql"].startswith(start) and f'"{table}"' in query["sql"].split(" WHERE ")[0])


def test_a_fulfilled_line_reads_its_order_lines_once_and_logs_both_changes_in_one_insert(open_order):
    """What a burst does not need (#11): the order apart from its lines, the lines again for the receipt,
    a change-log insert per item."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fulfillment.fulfill(open_order.number)
    queries = captured.captured_queries
    begin = next(n for n, query in enumerate(queries) if query["sql"].startswith(("BEGIN", "SAVEPOINT")))
    # Before the transaction, the order comes with its lines; inside it, they come with the order's lock.
    assert [q["sql"].split(" FROM ")[1].split()[0] for q in queries[:begin] if q["sql"].startswith("SELECT")] == [
        '"commerce_orderline"'
    ]
    assert statements(queries[begin:], "SELECT", "commerce_orderline") == 1
    assert not any(q["sql"].startswith("SELECT") and ' FROM "commerce_order" ' in q["sql"] for q in queries)
    assert statements(queries, "INSERT", "dashboard_change") == 1
    logged = Change.objects.filter(user_id=open_order.user_id).order_by("version").values_list("kind", "status")
    assert list(logged)[-2:] == [
        ("enrollment", "active"), ("order", "complete"),
    ]


def test_fulfill_is_idempotent(open_order):
    fulfillment.fulfill(open_order.number)
    version = Enrollment.objects.get().version
    assert fulfillment.fulfill(open_order.number) == Outcome.ALREADY_DONE
    assert Enrollment.objects.get().version == version


def test_unpaid_or_unknown_order_is_not_fulfilled(user_client, paid_seat, enqueued):
    number = user_client.post(
        "/api/v1/orders/", {"course_id": paid_seat.course.key, "mode": "verified"}, content_type="application/json"
    ).json()["number"]
    assert fulfillment.fulfill(number) == Outcome.NOT_PLACED
    assert fulfillment.fulfill("LP-UNKNOWN") == Outcome.NOT_PLACED
    assert Order.objects.get(number=number).status == "pending"


def test_simulated_failure_raises_transient(open_order, settings):
    settings.FULFILLMENT_FAILURE_RATE = 1.0
    with pytest.raises(TransientFulfillmentError):
        fulfillment.fulfill(open_order.number)
    assert Enrollment.objects.get().status == "pending"


def test_give_up_marks_error_and_failed_with_reason(open_order):
    assert fulfillment.give_up(open_order.number, "The platform is down.") == Outcome.FAILED
    open_order.refresh_from_db()
    assert open_order.status == "fulfillment_error" and open_order.failure_reason == "The platform is down."
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "failed" and enrollment.failure_reason == "The platform is down."


def test_error_order_completes_when_the_learner_retries(open_order, free_seat):
    from commerce import checkout

    fulfillment.give_up(open_order.number, "down")
    assert fulfillment.fulfill(open_order.number) == Outcome.ALREADY_DONE, "a late duplicate task redoes nothing"
    assert checkout.checkout(open_order.user_id, free_seat.course.key, "audit").order == open_order
    assert Order.objects.get().status == "open" and Enrollment.objects.get().status == "pending"
    assert fulfillment.fulfill(open_order.number) == Outcome.FULFILLED
    assert Order.objects.get().status == "complete" and Enrollment.objects.get().status == "active"


def test_give_up_after_success_changes_nothing(open_order):
    fulfillment.fulfill(open_order.number)
    assert fulfillment.give_up(open_order.number, "late") == Outcome.ALREADY_DONE
    assert Enrollment.objects.get().status == "active"


def test_the_retry_policy_retries_then_gives_up_with_a_reason_for_the_learner(settings):
    from django.db import OperationalError

    from commerce import retries

    settings.FULFILLMENT_MAX_RETRIES = 2
    settings.FULFILLMENT_RETRY_BACKOFF_SECONDS = 2
    platform_down = TransientFulfillmentError("The course platform did not confirm the enrollment in time.")
    first = retries.after_failure(0, platform_down)
    assert not first.give_up and 1 <= first.delay <= 2
    assert retries.after_failure(2, platform_down) == retries.Decision(give_up=True, reason=str(platform_down))
    assert retries.after_failure(2, OperationalError("locked")).reason == retries.GENERIC_REASON


@pytest.mark.parametrize("attempt", range(12))
def test_retry_delay_grows_with_jitter_and_cap(attempt):
    rng = random.Random(attempt)
    delays = [retry_delay(attempt, base=2, cap=600, rng=rng) for _ in range(50)]
    ceiling = min(600, 2 * 2**attempt)
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1


def test_database_errors_in_the_api_are_a_clear_503(user_client, free_seat, enqueued, monkeypatch):
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("commerce.checkout.checkout_seats", down)
    response = user_client.post(
        "/api/v1/orders/", {"course_id": free_seat.course.key, "mode": "audit"}, content_type="application/json"
    )
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
    assert not Order.objects.exists()
