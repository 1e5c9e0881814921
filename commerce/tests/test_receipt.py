"""An order is a live item: every change takes the learner's next version and is announced; the receipt shows it."""
import gc

import pytest

from commerce import checkout, fulfillment, orders
from commerce.models import Order
from config.live import item_changed
from dashboard.tests.factories import make_user
from realtime import items

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def announced():
    """(kind, key, status, version) of every item announced after commit."""
    seen: list[tuple] = []

    def receiver(sender, kind, user_id, item, **kwargs):
        key = item.get("number") or item.get("course_id")
        seen.append((kind, key, item["status"], item["version"]))

    item_changed.connect(receiver, dispatch_uid="test.announced")
    yield seen
    item_changed.disconnect(dispatch_uid="test.announced")


def test_each_order_change_is_announced_with_the_learners_next_version(user_client, free_seat, enqueued, announced):
    number = checkout.checkout(user_client.user.pk, free_seat.course.key, "audit").order.number
    fulfillment.fulfill(number)
    order_changes = [change for change in announced if change[0] == "order"]
    assert [(status, version) for _, _, status, version in order_changes] == [("open", 1), ("complete", 4)]
    assert [change[0] for change in announced] == ["order", "enrollment", "enrollment", "order"]
    assert [change[3] for change in announced] == [1, 2, 3, 4], "one clock for every kind"


def test_the_catch_up_carries_orders_and_enrollments_in_version_order(user_client, paid_seat, enqueued):
    user_id = user_client.user.pk
    order = checkout.checkout(user_id, paid_seat.course.key, "verified").order
    snapshot = items.changed_since(user_id, 0)
    assert snapshot.version == 1
    assert snapshot.items == [{"kind": "order", "key": order.number, "item": snapshot.items[0]["item"]}]
    wire = snapshot.items[0]["item"]
    assert wire["status"] == "pending" and wire["payment_url"] == f"/checkout/pay/{order.number}/"
    assert [line["course_id"] for line in wire["lines"]] == [paid_seat.course.key]

    with pytest.raises(orders.IllegalOrderTransition):
        orders.move(Order.objects.get(pk=order.pk), Order.Status.COMPLETE)
    assert items.changed_since(user_id, 1).items == [], "a refused move changes nothing"


def test_a_catch_up_leaves_no_reference_cycles(user_client, free_seat, enqueued):
    """Socket servers freeze every object alive when a young collection ends (realtime.collector),
    and a catch-up runs on a thread of its own: a reference cycle it held at that moment would be
    frozen and never freed, once per catch-up (the leak check's orders, #11)."""
    user_id = user_client.user.pk
    checkout.checkout(user_id, free_seat.course.key, "audit")  # an order with its line, and an enrollment
    items.changed_since(user_id, 0)  # first use: caches, compiled queries
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what the next collection finds, to name it
    try:
        snapshot = items.changed_since(user_id, 0)
        gc.collect()
        cycles = [kind_of(garbage) for garbage in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert [entry["kind"] for entry in snapshot.items] == ["order", "enrollment"]
    assert snapshot.items[0]["item"]["lines"][0]["course_id"] == free_seat.course.key
    # Django's compiler leaves one of its own per query with select_related (a closure that
    # calls itself: a function, its cell and the cell's tuple), three small objects outside our reach.
    closures = cycles.count(DJANGO_COMPILER_CLOSURE)
    assert sorted(kind for kind in cycles if kind != DJANGO_COMPILER_CLOSURE) == ["cell"] * closures + ["tuple"] * closures, cycles


DJANGO_COMPILER_CLOSURE = "SQLCompiler.get_select.<locals>.get_select_from_parent"


def kind_of(garbage: object) -> str:
    return getattr(garbage, "__qualname__", None) or type(garbage).__name__


def test_the_receipt_shows_each_line_and_is_the_learners_own(user_client, client, free_seat, enqueued):
    number = checkout.checkout(user_client.user.pk, free_seat.course.key, "audit").order.number
    html = user_client.get(f"/orders/{number}/").content.decode()
    assert f"Order {number}" in html and free_seat.course.title in html
    assert f'data-course-id="{free_seat.course.key}" data-status="open"' in html
    assert 'id="live-state"' in html

    client.force_login(make_user())
    assert client.get(f"/orders/{number}/").status_code == 404
    assert user_client.get("/orders/LP-NOSUCH/").status_code == 404
