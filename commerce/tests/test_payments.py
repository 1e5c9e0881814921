import json
import time

import pytest

from commerce import payments
from commerce.models import Order
from dashboard.models import Enrollment, LearnerClock

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_order(user_client, paid_seat, enqueued):
    response = user_client.post(
        "/api/v1/orders/", {"course_id": paid_seat.course.key, "mode": "verified"}, content_type="application/json"
    )
    return Order.objects.get(number=response.json()["number"])


def notify(client, body: dict | bytes, signature: str | None = "sign"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {}
    if signature == "sign":
        headers["HTTP_X_PAYMENT_SIGNATURE"] = payments.sign(raw)
    elif signature is not None:
        headers["HTTP_X_PAYMENT_SIGNATURE"] = signature
    return client.post("/api/v1/payments/notify/", raw, content_type="application/json", **headers)


def body_for(order, **changes):
    body = {
        "order_number": order.number,
        "amount": str(order.total),
        "currency": order.currency,
        "payment_reference": "pay-1",
        "timestamp": int(time.time()),
    }
    body.update(changes)
    return body


def test_valid_notification_places_order(client, pending_order, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = notify(client, body_for(pending_order))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open"
    assert Enrollment.objects.get().status == "pending"
    assert enqueued == [pending_order.number]


def assert_nothing_changed(order):
    order.refresh_from_db()
    assert order.status == "pending" and order.payment_reference is None
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(
    "signature,status,code",
    [(None, 403, "bad_signature"), ("sha256=deadbeef", 403, "bad_signature"), ("garbage", 403, "bad_signature")],
)
def test_bad_signature_is_rejected(client, pending_order, caplog, signature, status, code):
    response = notify(client, body_for(pending_order), signature=signature)
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert_nothing_changed(pending_order)
    assert "rejected (bad_signature)" in caplog.text


def test_signature_over_other_body_is_rejected(client, pending_order):
    signed = json.dumps(body_for(pending_order, amount="1.00")).encode()
    response = notify(client, body_for(pending_order), signature=payments.sign(signed))
    assert response.status_code == 403
    assert_nothing_changed(pending_order)


def test_wrong_amount_is_400(client, pending_order):
    response = notify(client, body_for(pending_order, amount="1.00"))
    assert response.status_code == 400 and response.json()["error"]["code"] == "amount_mismatch"
    assert_nothing_changed(pending_order)


def test_unknown_order_is_404(client, pending_order):
    response = notify(client, body_for(pending_order, order_number="LP-NOPE"))
    assert response.status_code == 404
    assert_nothing_changed(pending_order)


def test_malformed_and_stale_bodies_are_400(client, pending_order):
    assert notify(client, b"{oops").json()["error"]["code"] == "malformed"
    assert notify(client, {"order_number": pending_order.number}).status_code == 400
    stale = notify(client, body_for(pending_order, timestamp=int(time.time()) - 3600))
    assert stale.status_code == 400 and stale.json()["error"]["code"] == "stale"
    assert_nothing_changed(pending_order)


def test_replayed_notification_changes_nothing(client, pending_order, enqueued, django_capture_on_commit_callbacks):
    body = body_for(pending_order)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(client, body).status_code == 200
        paid = LearnerClock.objects.get(user_id=pending_order.user_id).version
        replay = notify(client, body)
    assert replay.status_code == 409
    assert enqueued == [pending_order.number]
    assert LearnerClock.objects.get(user_id=pending_order.user_id).version == paid, "the replay changed nothing"
    assert Enrollment.objects.get().version == paid


def test_demo_payment_page_pays_through_the_signed_path(user_client, pending_order, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(f"/checkout/pay/{pending_order.number}/")
    assert response.status_code == 302 and response["Location"] == f"/orders/{pending_order.number}/"
    pending_order.refresh_from_db()
    assert pending_order.status == "open" and pending_order.payment_reference.startswith("demo-")
    assert enqueued == [pending_order.number]


def test_demo_payment_page_is_only_for_the_orders_owner(client, pending_order):
    from dashboard.tests.factories import make_user

    client.force_login(make_user())
    assert client.post(f"/checkout/pay/{pending_order.number}/").status_code == 404
    assert_nothing_changed(pending_order)


def test_retrying_a_failed_paid_seat_does_not_ask_for_payment_again(client, pending_order, enqueued,
                                                                     django_capture_on_commit_callbacks):
    from commerce import checkout, fulfillment

    with django_capture_on_commit_callbacks(execute=True):
        assert notify(client, body_for(pending_order)).status_code == 200
    paid = Order.objects.get(pk=pending_order.pk)
    fulfillment.give_up(paid.number, "The platform said no.")
    assert Enrollment.objects.get().paid and Enrollment.objects.get().status == "failed"

    line = paid.lines.select_related("seat__course").get()
    with django_capture_on_commit_callbacks(execute=True):
        again = checkout.checkout(paid.user_id, line.seat.course.key, line.seat.mode)
    assert again.order.pk == paid.pk and not again.created, "the same order, no new one to pay"
    retried = Order.objects.get(pk=paid.pk)
    assert retried.status == "open" and retried.payment_reference == paid.payment_reference
    assert Order.objects.count() == 1 and enqueued[-1] == paid.number
