"""Programs in the browser: three seats in one order, each going live on its own, on the receipt and the dashboard."""
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from commerce.models import Program, Seat
from commerce.platform import REJECTED
from dashboard.models import Course
from tests.e2e.conftest import open_dashboard_as, tile, wait_live
from tests.e2e.helpers import artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FLAKY = "course-v1:E2E+FLAKY+2026"  # rejected by every automatic attempt (devstack.testing's FULFILLMENT_FAILING_COURSES)


def make_program(key: str, mode: str, price: str, course_keys: list[str]) -> Program:
    program = Program.objects.create(key=key, title=f"Program {key}")
    for course_key in course_keys:
        course, _ = Course.objects.get_or_create(key=course_key, defaults={"title": course_key.split("+")[1].title()})
        program.seats.add(Seat.objects.create(course=course, mode=mode, price=Decimal(price)))
    return program


def line(page: Page, course_key: str):
    return page.locator(f'.receipt-line[data-course-id="{course_key}"]')


def test_a_program_with_one_failing_course(page: Page, live_server_url, worker, learner):
    """The two good seats go live at once; the third fails with its reason, and its retry works."""
    keys = ["course-v1:E2E+ALPHA+2026", FLAKY, "course-v1:E2E+GAMMA+2026"]
    program = make_program("program-v1:E2E+TRIO+2026", "audit", "0", keys)
    open_dashboard_as(page, learner, live_server_url)
    watcher = page.context.new_page()  # the dashboard, open in another tab meanwhile
    watcher.goto("/dashboard/")
    wait_live(watcher)

    page.click(f'[data-role="enroll-program"][data-program-id="{program.key}"]')
    expect(page.locator("h1")).to_contain_text("Order LP-")
    wait_live(page)
    for key in keys:
        expect(watcher.locator(tile(watcher, key))).to_be_visible()  # every tile at once, pending or already live
    expect(watcher.locator(tile(watcher, FLAKY, "pending"))).to_be_visible()

    for key in (keys[0], keys[2]):
        expect(line(page, key)).to_have_attribute("data-status", "complete", timeout=20_000)
        expect(line(page, key).locator('[data-role="go-to-course"]')).to_have_attribute("href", f"/courses/{key}/")
        expect(watcher.locator(tile(watcher, key, "active"))).to_be_visible()
    expect(line(page, FLAKY)).not_to_have_attribute("data-status", "complete")

    expect(line(page, FLAKY)).to_have_attribute("data-status", "fulfillment_error", timeout=40_000)
    expect(line(page, FLAKY).locator('[data-role="line-failure-reason"]')).to_have_text(REJECTED)
    expect(line(page, FLAKY).locator('[data-role="go-to-course"]')).to_have_attribute("aria-disabled", "true")
    expect(page.locator('[data-role="order-status"]')).to_contain_text("Some seats could not be prepared")
    expect(watcher.locator(tile(watcher, FLAKY, "failed"))).to_contain_text(REJECTED)
    page.screenshot(path=str(artifacts_dir() / "program-partial-failure.png"))

    line(page, FLAKY).locator('[data-role="retry-line"]').click()  # the seventh attempt: the platform accepts
    wait_live(page)
    expect(page.locator(tile(page, FLAKY, "active"))).to_be_visible(timeout=20_000)
    for key in keys:
        expect(page.locator(tile(page, key, "active"))).to_be_visible()
    expect(watcher.locator(tile(watcher, FLAKY, "active"))).to_be_visible()
    page.screenshot(path=str(artifacts_dir() / "program-retried.png"))


def test_a_paid_program_goes_live_after_payment(page: Page, live_server_url, worker, learner):
    keys = ["course-v1:E2E+PAIDA+2026", "course-v1:E2E+PAIDB+2026", "course-v1:E2E+PAIDC+2026"]
    program = make_program("program-v1:E2E+PAIDTRIO+2026", "verified", "30.00", keys)
    open_dashboard_as(page, learner, live_server_url)
    page.click(f'[data-role="enroll-program"][data-program-id="{program.key}"]')
    expect(page.locator("h1")).to_have_text("Pay for your seats")
    expect(page.locator('[data-role="pay"]')).to_contain_text("$90.00")

    page.click('[data-role="pay"]')
    expect(page.locator("h1")).to_contain_text("Order LP-")
    wait_live(page)
    for key in keys:
        expect(line(page, key)).to_have_attribute("data-status", "complete", timeout=20_000)
    expect(page.locator('[data-role="order-status"]')).to_have_text("All your seats are ready.")
    page.screenshot(path=str(artifacts_dir() / "program-paid-complete.png"))
