"""Headless Chromium (Debian's) driven by Playwright against the real stack."""
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, BrowserContext, BrowserType, ConsoleMessage, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from commerce.models import Seat
from dashboard.models import Course
from devstack.processes import wait_until
from realtime.testing import Learner
from tests.e2e.helpers import Dashboards

# Playwright's sync API keeps an event loop in the test's thread, which makes
# Django refuse ORM calls from the test body. No async code shares that loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def in_thread(function, *args):
    """Run ``function`` on another thread and return its result.

    While Playwright's sync API is open, this thread has a running event loop,
    and ``async_to_sync`` (which publishing uses) refuses to run here.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


# The browser fixtures are pytest-playwright's (``page``, ``context``, ``new_context``), which
# keep a trace and a screenshot of each failed test in test-artifacts/playwright*/ (pyproject.toml).
# Two narrowings: Debian's Chromium with the flags this machine needs, and Playwright started
# per module rather than per session, so its event loop leaves the thread for the other tests.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def browser_context_args() -> dict:
    """No device emulation (the plugin's looks devices up on the session's Playwright)."""
    return {}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="module")
def browser(browser_type: BrowserType, browser_type_launch_args: dict) -> Iterator[Browser]:
    browser = browser_type.launch(**browser_type_launch_args)
    yield browser
    browser.close()


@pytest.fixture
def context(new_context, live_server_url: str) -> BrowserContext:
    return new_context(base_url=live_server_url, viewport={"width": 1280, "height": 820})


@pytest.fixture
def page(page: Page) -> Iterator[Page]:
    """pytest-playwright's page on the test node, failing the test on a script error or a policy violation."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The content security policy holds on every page a browser test opens.
    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    yield page
    assert not errors, f"JavaScript errors or policy violations on the page: {errors}"


@pytest.fixture
def catalog(transactional_db) -> dict[str, Seat]:
    free = Course.objects.create(key="course-v1:E2E+FREE+2026", title="Free Course for E2E")
    paid = Course.objects.create(key="course-v1:E2E+PAID+2026", title="Paid Course for E2E")
    return {
        "free": Seat.objects.create(course=free, mode="audit", price=Decimal("0")),
        "paid": Seat.objects.create(course=paid, mode="verified", price=Decimal("49.00")),
    }


def open_dashboard_as(page: Page, learner: Learner, live_server_url: str) -> None:
    """Log in by cookie (the login form has its own test) and wait for the socket."""
    page.context.add_cookies([{"name": "sessionid", "value": learner.session_key, "url": live_server_url}])
    page.goto("/dashboard/")
    wait_live(page)


def wait_js(page: Page, expression: str, timeout: float = 15_000) -> None:
    """Wait until ``expression`` is truthy in the page. Playwright's wait_for_function evaluates its
    predicate with eval, which the pages' content security policy forbids; page.evaluate does not."""
    def holds() -> bool:
        try:
            return bool(page.evaluate(expression))
        except PlaywrightError:  # the page is navigating (a reload): not yet
            return False

    wait_until(holds, timeout / 1000, f"{expression} in the page", interval=0.1)


def wait_live(page: Page, timeout: float = 15_000) -> None:
    page.wait_for_selector('[data-role="connection"][data-state="live"]', timeout=timeout)


def tile(page: Page, course_key: str, status: str | None = None) -> str:
    selector = f'.tile[data-course-id="{course_key}"]'
    return selector + (f'[data-status="{status}"]' if status else "")


@pytest.fixture
def dashboards():
    """``dashboards(url, learners)``: open dashboards (Python protocol clients), closed after the test."""
    opened: list[Dashboards] = []

    def open_(url, learners, **options) -> Dashboards:
        board = Dashboards(url, learners, **options)
        opened.append(board)
        wait_until(board.all_connected, 60, "every dashboard to connect")
        return board

    yield open_
    for board in opened:
        board.close()
