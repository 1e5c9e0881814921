"""A third kind of live item in the browser: a certificate goes from "generating" to a download link in place."""
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from commerce.models import Seat
from dashboard import enrollments
from dashboard.models import Course
from tests.e2e.conftest import in_thread, open_dashboard_as, tile, wait_live
from tests.e2e.helpers import artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NO_CERTIFICATE = "course-v1:E2E+NOCERT+2026"  # its certificates fail (devstack.testing's CERTIFICATE_FAILING_COURSES)


def active_seat(learner, key: str) -> str:
    course = Course.objects.create(key=key, title=f"Course {key.split('+')[1]}")
    seat = Seat.objects.create(course=course, mode="audit", price=Decimal("0"))
    in_thread(enrollments.activate, in_thread(enrollments.start, learner.user.pk, course, seat.mode).pk)
    return key


def test_a_certificate_goes_live_on_the_dashboard(page: Page, live_server_url, worker, learner):
    key = active_seat(learner, "course-v1:E2E+CERT+2026")
    open_dashboard_as(page, learner, live_server_url)
    card = page.locator(tile(page, key, "active"))
    card.locator('[data-role="request-certificate"]').click()
    wait_live(page)
    page.evaluate("window.__sameDocument = true")
    status = card.locator('[data-role="certificate-status"]')
    expect(status).to_have_text("Generating your certificate…")
    expect(card.locator('[data-role="request-certificate"]')).to_be_hidden()
    page.screenshot(path=str(artifacts_dir() / "certificate-generating.png"))

    expect(status).to_have_text("Your certificate is ready.", timeout=20_000)
    download = card.locator('[data-role="certificate-download"]')
    expect(download).to_have_attribute("href", f"/certificates/{key}/")
    assert page.evaluate("window.__sameDocument === true"), "updated in place"
    page.screenshot(path=str(artifacts_dir() / "certificate-ready.png"))
    download.click()
    expect(page.locator("h1")).to_have_text("Course CERT")


def test_a_failed_certificate_says_why_and_offers_to_try_again(page: Page, live_server_url, worker, learner):
    key = active_seat(learner, NO_CERTIFICATE)
    open_dashboard_as(page, learner, live_server_url)
    card = page.locator(tile(page, key, "active"))
    card.locator('[data-role="request-certificate"]').click()
    wait_live(page)
    expect(card.locator('[data-role="certificate-status"]')).to_contain_text("unavailable", timeout=20_000)
    expect(card.locator('[data-role="request-certificate"]')).to_have_text("Try again")
    expect(card.locator('[data-role="certificate-download"]')).to_be_hidden()
