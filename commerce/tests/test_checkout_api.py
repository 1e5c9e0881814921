import pytest
from django.test import Client

from commerce.models import Order
from dashboard.models import Enrollment

pytestmark = pytest.mark.django_db


def post_order(client, course_id, mode):
    return client.post("/api/v1/orders/", {"course_id": course_id, "mode": mode}, content_type="application/json")


def test_free_seat_is_placed_at_once_with_pending_enrollment(user_client, free_seat, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_order(user_client, free_seat.course.key, "audit")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open" and body["payment_url"] is None
    enrollment = Enrollment.objects.get(user=user_client.user, course=free_seat.course)
    assert enrollment.status == "pending" and enrollment.mode == "audit"
    assert enqueued == [body["number"]]


def test_a_new_order_is_answered_with_the_lines_it_wrote(user_client, free_seat, enqueued,
                                                          django_capture_on_commit_callbacks):
    """What a burst does not need (#11): reading the new order's lines back for the answer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
        response = post_order(user_client, free_seat.course.key, "audit")
    assert response.status_code == 201
    assert [line["course_id"] for line in response.json()["lines"]] == [free_seat.course.key]
    line_reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT") and 'FROM "commerce_orderline"' in q["sql"]]
    assert line_reads == []


def test_a_checkout_locks_the_learner_only_where_rows_can_be_locked(user_client, free_seat, enqueued):
    """One learner's checkouts are serialized: by the learner's row lock on PostgreSQL; on SQLite
    the transaction holds the database's write lock, and a lock read would be a wasted statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert post_order(user_client, free_seat.course.key, "audit").status_code == 201
    user_reads = [q["sql"] for q in captured.captured_queries
                  if q["sql"].startswith("SELECT") and 'FROM "auth_user"' in q["sql"]]
    locks = [sql for sql in user_reads if "FOR NO KEY UPDATE" in sql]
    # The other read is the request's user (the session's).
    if connection.features.has_select_for_update:
        assert len(user_reads) == 2 and len(locks) == 1, user_reads
    else:
        assert len(user_reads) == 1 and locks == [], user_reads


def test_enqueue_waits_for_commit(user_client, free_seat, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_order(user_client, free_seat.course.key, "audit")
    assert enqueued == [] and len(callbacks) >= 1


def test_paid_seat_waits_for_payment(user_client, paid_seat, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_order(user_client, paid_seat.course.key, "verified")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["payment_url"] == f"/checkout/pay/{body['number']}/"
    assert body["total"] == "49.00"
    assert not Enrollment.objects.exists()
    assert enqueued == []


def test_repeat_checkout_returns_existing_order(user_client, free_seat, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = post_order(user_client, free_seat.course.key, "audit")
        second = post_order(user_client, free_seat.course.key, "audit")
    assert second.status_code == 200
    assert second.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1 and Enrollment.objects.count() == 1
    assert len(enqueued) == 1


def test_checkout_after_failure_retries_the_same_order(user_client, free_seat, enqueued, django_capture_on_commit_callbacks):
    from commerce import fulfillment

    with django_capture_on_commit_callbacks(execute=True):
        number = post_order(user_client, free_seat.course.key, "audit").json()["number"]
        fulfillment.give_up(number, "Platform down.")
        again = post_order(user_client, free_seat.course.key, "audit")
    assert again.status_code == 200 and again.json()["number"] == number
    assert Enrollment.objects.get().status == "pending"
    assert enqueued == [number, number]


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"course_id": "course-v1:No+Such+Course", "mode": "audit"}, "course_id"),
        ({"mode": "audit"}, "course_id"),
        ({"course_id": "X", "mode": "platinum"}, "mode"),
    ],
)
def test_bad_input_is_400_naming_the_field(user_client, free_seat, enqueued, payload, field):
    response = user_client.post("/api/v1/orders/", payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Order.objects.exists() and not Enrollment.objects.exists()


def test_mode_not_sold_names_the_mode(user_client, free_seat, enqueued):
    response = post_order(user_client, free_seat.course.key, "verified")
    assert response.status_code == 400
    assert "audit" in response.json()["error"]["fields"]["mode"][0]


def test_malformed_json_is_400(user_client, enqueued):
    response = user_client.post("/api/v1/orders/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_checkout_needs_login(client, free_seat):
    assert post_order(client, free_seat.course.key, "audit").status_code == 403


def test_checkout_needs_csrf(free_seat, enqueued):
    from dashboard.tests.factories import make_user

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    response = post_order(client, free_seat.course.key, "audit")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert not Order.objects.exists()


def test_html_checkout_redirects_paid_seat_to_payment_page(user_client, paid_seat, enqueued):
    response = user_client.post("/checkout/", {"course_id": paid_seat.course.key, "mode": "verified"})
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/checkout/pay/{order.number}/"
    page = user_client.get(response["Location"])
    assert page.status_code == 200 and b"49.00" in page.content


def test_html_checkout_of_unknown_course_explains(user_client, enqueued):
    response = user_client.post("/checkout/", {"course_id": "nope", "mode": "audit"}, follow=True)
    assert b"There is no course" in response.content
    assert not Order.objects.exists()


def test_checkout_is_throttled_with_a_clear_error(user_client, free_seat, enqueued, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"checkout": "2/min", "payments": "2/min"})
    codes = [post_order(user_client, free_seat.course.key, "audit").status_code for _ in range(3)]
    assert codes == [201, 200, 429]
    response = post_order(user_client, free_seat.course.key, "audit")
    assert response.json()["error"]["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60  # what is left of the minute's window
    assert Order.objects.count() == 1
