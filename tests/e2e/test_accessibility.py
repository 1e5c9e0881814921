"""WCAG 2.2 AA on every page of the demo, checked by axe-core in Chromium: no violation."""
import pytest
from playwright.sync_api import Page, expect

from commerce import checkout
from dashboard import enrollments
from dashboard.models import Course
from tests.e2e.conftest import in_thread, open_dashboard_as, tile, wait_js
from tests.e2e.helpers import accessibility_violations, artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]


def assert_accessible(page: Page, name: str) -> None:
    page.screenshot(path=str(artifacts_dir() / f"a11y-{name}.png"), full_page=True)
    violations = accessibility_violations(page)
    assert not violations, f"{name}:\n" + "\n".join(violations)


def test_the_login_page(page: Page, live_server_url):
    page.goto("/accounts/login/")
    assert_accessible(page, "login")


def test_the_dashboard_with_tiles_in_every_state(page: Page, live_server_url, catalog, learner):
    def course(title: str):
        return Course.objects.create(key=f"course-v1:A11y+{title.replace(' ', '')}+2026", title=title)

    user = learner.user.pk
    in_thread(enrollments.start, user, course("Pending course"), "audit")
    in_thread(enrollments.activate, in_thread(enrollments.start, user, course("Active course"), "audit").pk)
    in_thread(enrollments.fail, in_thread(lambda: enrollments.start(user, course("Failed course"), "verified",
                                                                    paid=True)).pk, "The platform said no.")
    refunded = in_thread(enrollments.start, user, course("Refunded course"), "audit")
    in_thread(enrollments.activate, refunded.pk)
    in_thread(enrollments.deactivate, refunded.pk)
    revoked = in_thread(enrollments.start, user, course("Revoked course"), "audit")
    in_thread(enrollments.activate, revoked.pk)
    in_thread(lambda: enrollments.deactivate(revoked.pk, reason="Your school ended its plan."))

    open_dashboard_as(page, learner, live_server_url)
    expect(page.locator('.tile[data-status="failed"] [data-role="paid-note"]')).to_be_visible()
    assert_accessible(page, "dashboard")

    page.route("**/ws/dashboard/", lambda route: route.abort())
    page.route_web_socket("**/ws/dashboard/", lambda ws: ws.close(code=1011))
    page.evaluate("window.learnerDashboard.dropSocket()")
    expect(page.locator('[data-role="connection"]')).to_have_attribute("data-state", "polling", timeout=15_000)
    assert_accessible(page, "dashboard-polling")


def test_the_payment_receipt_course_and_locked_pages(page: Page, live_server_url, catalog, learner):
    paid, free = catalog["paid"], catalog["free"]
    open_dashboard_as(page, learner, live_server_url)
    page.click(f'[data-role="enroll"][data-course-id="{paid.course.key}"]')
    expect(page.locator("h1")).to_have_text("Pay for your seat")
    assert_accessible(page, "payment")

    page.goto(f"/courses/{paid.course.key}/")  # not active yet: the locked page
    assert_accessible(page, "course-locked")

    number = in_thread(lambda: checkout.checkout(learner.user.pk, free.course.key, "audit", enqueue=False)).order.number
    page.goto(f"/orders/{number}/")
    wait_js(page, "window.learnerDashboard.connection === 'live'")
    assert_accessible(page, "receipt")

    in_thread(enrollments.activate_pending, learner.user.pk, free.course.pk)
    page.goto(f"/courses/{free.course.key}/")
    assert_accessible(page, "course")
    page.goto("/dashboard/")
    expect(page.locator(tile(page, free.course.key, "active"))).to_be_visible()
