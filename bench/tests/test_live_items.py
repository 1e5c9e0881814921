"""The leak check's live items leave no work behind for a later scenario's worker."""
import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_live_items_are_fulfilled_so_no_worker_resends_them_later():
    from datetime import timedelta

    from django.utils import timezone

    from bench.scenarios import give_live_items
    from commerce import selectors
    from commerce.models import Order
    from dashboard.models import Enrollment
    from dashboard.tests.factories import make_user

    learners = [make_user(), make_user()]
    give_live_items([(learner.pk, "") for learner in learners])
    orders = Order.objects.filter(user__in=learners)
    assert [order.status for order in orders] == [Order.Status.COMPLETE] * 2
    assert set(Enrollment.objects.filter(user__in=learners).values_list("status", flat=True)) == {"active"}
    an_hour_on = timezone.now() + timedelta(hours=1)
    assert not selectors.stalled_orders(0, an_hour_on), "nothing for a worker's relay to resend"
