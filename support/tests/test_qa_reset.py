"""QA scenarios keep the demo clean: their courses stay out of catalogs, and qa_reset removes them."""
from io import StringIO

import pytest
from django.core.management import call_command

from commerce.models import Order, Seat
from dashboard.models import Course, Enrollment

pytestmark = pytest.mark.django_db(transaction=True)


def test_scenario_courses_stay_out_of_the_catalog_and_qa_reset_removes_them(user_client, settings):
    settings.FULFILLMENT_DELAY_SECONDS = 0
    listed = Course.objects.create(key="course-v1:Demo+KEEP+2026", title="Kept course")
    Seat.objects.create(course=listed, mode="audit", price=0)
    for scenario in ("success", "failure"):
        call_command("simulate_fulfillment", user_client.user.username, scenario, "--delay", "0", stdout=StringIO())
    qa = Course.objects.filter(key__startswith="course-v1:QA+")
    assert qa.count() == 2 and Enrollment.objects.filter(course__in=qa).count() == 2

    catalog = user_client.get("/dashboard/").content.decode()
    catalog = catalog[catalog.index('aria-labelledby="catalog-title"'):]
    catalog = catalog[:catalog.index("</aside>")]
    assert "Kept course" in catalog and "QA course" not in catalog

    out = StringIO()
    call_command("qa_reset", stdout=out)
    assert "Removed 2 QA course(s), 2 order(s), 2 enrollment(s)" in out.getvalue()
    assert not Course.objects.filter(key__startswith="course-v1:QA+").exists()
    assert not Order.objects.filter(lines__seat__course__key__startswith="course-v1:QA+").exists()
    assert Course.objects.filter(pk=listed.pk).exists()
