"""Concurrent checkouts on the configured database (SQLite by default, PostgreSQL in the second pass)."""
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from commerce.models import Order, Seat
from dashboard.models import Enrollment
from dashboard.tests.factories import make_course, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_checkouts_neither_fail_nor_duplicate(enqueued):
    seats = [Seat.objects.create(course=make_course(), mode="audit", price=Decimal("0")) for _ in range(3)]
    learners = [make_user() for _ in range(6)]

    def buy(args):
        user, seat = args
        client = Client()
        client.force_login(user)
        try:
            response = client.post(
                "/api/v1/orders/", {"course_id": seat.course.key, "mode": "audit"}, content_type="application/json"
            )
            return response.status_code, response.json()
        finally:
            connection.close()

    # Every learner buys every seat twice at once (a double click), all in parallel.
    attempts = [(user, seat) for user in learners for seat in seats for _click in range(2)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(buy, attempts))

    assert {status for status, _ in results} <= {200, 201}, [r for r in results if r[0] not in (200, 201)]
    assert sum(1 for status, _ in results if status == 201) == len(learners) * len(seats)
    assert Order.objects.count() == Enrollment.objects.count() == len(learners) * len(seats)
    for user in learners:
        # One clock for orders and enrollments: every version taken once, none skipped.
        versions = sorted([*Enrollment.objects.filter(user=user).values_list("version", flat=True),
                           *Order.objects.filter(user=user).values_list("version", flat=True)])
        assert versions == list(range(1, 7))
    assert sorted(enqueued) == sorted(Order.objects.values_list("number", flat=True))
