"""The learner's view: a tile goes from pending to active in place, whatever the push path does."""
import signal

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from config.live import item_changed
from dashboard import enrollments
from dashboard.models import Enrollment
from dashboard.wire import to_wire
from realtime.publishing import on_item_changed, publish_item
from tests.e2e.conftest import in_thread, open_dashboard_as, tile, wait_js, wait_live
from tests.e2e.helpers import artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def mark_no_reload(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def assert_pending_look(page: Page, course_key: str) -> None:
    pending = page.locator(tile(page, course_key, "pending"))
    expect(pending).to_be_visible()
    link = pending.locator('[data-role="course-link"]')
    expect(link).not_to_have_attribute("href", r".*")
    expect(link).to_have_attribute("aria-disabled", "true")
    expect(pending.locator('[data-role="indicator"]')).to_be_visible()
    expect(pending.locator('[data-role="indicator"]')).to_have_attribute("role", "status")


def assert_active_look(page: Page, course_key: str) -> None:
    active = page.locator(tile(page, course_key, "active"))
    expect(active).to_be_visible(timeout=20_000)
    link = active.locator('[data-role="course-link"]')
    expect(link).to_have_attribute("href", f"/courses/{course_key}/")
    expect(link).not_to_have_attribute("aria-disabled", "true")
    expect(active.locator('[data-role="indicator"]')).to_be_hidden()


def test_free_enrollment_goes_live_without_reload(page, live_server_url, worker, catalog, learner):
    key = catalog["free"].course.key
    page.goto("/accounts/login/")
    page.fill("input[name=username]", learner.user.username)
    page.fill("input[name=password]", learner.password)
    page.click("main button[type=submit]")
    wait_live(page)

    # Fulfillment held (the worker stopped) until the pending tile has been seen: on a loaded
    # machine the dashboard once took longer to load and go live than the fulfillment delay.
    worker.signal(signal.SIGSTOP)
    try:
        page.click(f'[data-role="enroll"][data-course-id="{key}"]')
        wait_live(page)
        mark_no_reload(page)
        assert_pending_look(page, key)
        page.screenshot(path=str(artifacts_dir() / "free-pending.png"))
    finally:
        worker.signal(signal.SIGCONT)

    assert_active_look(page, key)
    assert_no_reload(page)
    expect(page.locator('[data-role="announcer"]')).to_contain_text("is ready")
    page.screenshot(path=str(artifacts_dir() / "free-active.png"))

    page.click(f'{tile(page, key)} [data-role="course-link"]')
    expect(page.locator("h1")).to_have_text(catalog["free"].course.title)


def test_paid_seat_goes_live_on_the_receipt_after_payment(page, live_server_url, worker, catalog, learner):
    """Payment lands on the receipt, whose line turns ready in place; the dashboard then shows the seat active."""
    key = catalog["paid"].course.key
    open_dashboard_as(page, learner, live_server_url)
    page.click(f'[data-role="enroll"][data-course-id="{key}"]')
    expect(page.locator("h1")).to_have_text("Pay for your seat")
    assert not Enrollment.objects.filter(user=learner.user).exists()

    page.click('[data-role="pay"]')
    expect(page.locator("h1")).to_contain_text("Order LP-")
    wait_live(page)
    mark_no_reload(page)
    line = page.locator(f'.receipt-line[data-course-id="{key}"]')
    go = line.locator('[data-role="go-to-course"]')
    expect(line).to_have_attribute("data-status", "open")
    expect(go).to_have_attribute("aria-disabled", "true")
    expect(page.locator('[data-role="order-status"]')).to_have_text("Your seats are being prepared…")
    page.screenshot(path=str(artifacts_dir() / "receipt-open.png"))

    expect(line).to_have_attribute("data-status", "complete", timeout=20_000)
    expect(go).to_have_attribute("href", f"/courses/{key}/")
    expect(page.locator('[data-role="order-status"]')).to_have_text("All your seats are ready.")
    assert_no_reload(page)
    assert page.evaluate("window.learnerDashboard.events.some(e => e.changed > 0)"), "updated over the socket"
    page.screenshot(path=str(artifacts_dir() / "receipt-complete.png"))

    page.click('a:has-text("Go to my courses")')
    assert_active_look(page, key)
    page.screenshot(path=str(artifacts_dir() / "paid-active.png"))


class SocketGate:
    """Lets the page's WebSockets through to the server, or refuses them."""

    def __init__(self, page: Page, open_: bool = True) -> None:
        self.open = open_
        page.route_web_socket("**/ws/dashboard/", self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        if self.open:
            ws.connect_to_server()
        else:
            ws.close(code=1011, reason="blocked by the test")


def pending_enrollment(learner, seat) -> Enrollment:
    return in_thread(enrollments.start, learner.user.pk, seat.course, seat.mode)


def last_source(page: Page) -> str:
    return page.evaluate("window.learnerDashboard.events.at(-1).source")


def test_socket_drop_while_fulfillment_completes_then_reconnect_catches_up(page, live_server_url, catalog, learner):
    key = catalog["free"].course.key
    enrollment = pending_enrollment(learner, catalog["free"])
    gate = SocketGate(page)
    page.route("**/api/v1/live/**", lambda route: route.abort())  # no HTTP fallback here
    open_dashboard_as(page, learner, live_server_url)
    mark_no_reload(page)

    gate.open = False
    page.evaluate("window.learnerDashboard.dropSocket()")
    expect(page.locator('[data-role="connection"]')).not_to_have_attribute("data-state", "live")
    in_thread(enrollments.activate, enrollment.pk)  # completes while the page has no socket
    expect(page.locator(tile(page, key, "pending"))).to_be_visible()

    gate.open = True
    assert_active_look(page, key)
    assert last_source(page) == "catchup"
    assert_no_reload(page)


def test_http_fallback_while_the_socket_cannot_open_then_back_to_push(page, live_server_url, catalog, learner):
    key = catalog["free"].course.key
    enrollment = pending_enrollment(learner, catalog["free"])
    gate = SocketGate(page, open_=False)
    page.context.add_cookies([{"name": "sessionid", "value": learner.session_key, "url": live_server_url}])
    page.goto("/dashboard/")
    wait_js(page, "window.learnerDashboard && window.learnerDashboard.polling")

    in_thread(enrollments.activate, enrollment.pk)
    assert_active_look(page, key)
    assert last_source(page) == "poll"
    badge = page.locator('[data-role="connection"]')
    expect(badge).to_have_attribute("data-state", "polling")
    expect(badge).to_have_text("Updates may take a few seconds")
    page.screenshot(path=str(artifacts_dir() / "connection-polling.png"))

    gate.open = True
    wait_live(page, timeout=40_000)
    assert not page.evaluate("window.learnerDashboard.polling")


def test_with_no_socket_and_no_http_the_page_says_it_is_offline(page, live_server_url, catalog, learner):
    SocketGate(page, open_=False)
    page.route("**/api/v1/live/**", lambda route: route.abort())
    page.context.add_cookies([{"name": "sessionid", "value": learner.session_key, "url": live_server_url}])
    page.goto("/dashboard/")
    badge = page.locator('[data-role="connection"]')
    expect(badge).to_have_attribute("data-state", "offline", timeout=15_000)
    expect(badge).to_have_text("Offline: we keep trying. Reload to check")
    expect(badge).to_have_attribute("role", "status")
    page.screenshot(path=str(artifacts_dir() / "connection-offline.png"))


def test_a_page_whose_session_ended_says_it_is_signed_out(page, live_server_url, catalog, learner):
    from django.contrib.sessions.models import Session

    open_dashboard_as(page, learner, live_server_url)
    in_thread(lambda: Session.objects.filter(session_key=learner.session_key).delete())  # signed out elsewhere
    page.evaluate("window.learnerDashboard.dropSocket()")
    badge = page.locator('[data-role="connection"]')
    expect(badge).to_have_attribute("data-state", "signed-out", timeout=15_000)
    expect(badge).to_have_text("Signed out: sign in again for updates")
    assert not page.evaluate("window.learnerDashboard.reconnectScheduled"), "no reconnect loop"


def test_the_receipt_converges_like_the_dashboard_when_its_socket_cannot_open(page, live_server_url, catalog,
                                                                            learner, settings):
    """The receipt shares the dashboard's connection: it polls while no socket opens, then returns to push."""
    from commerce import checkout, fulfillment

    settings.FULFILLMENT_DELAY_SECONDS = 0
    seat = catalog["free"]
    number = in_thread(lambda: checkout.checkout(learner.user.pk, seat.course.key, seat.mode, enqueue=False)).order.number
    gate = SocketGate(page, open_=False)
    page.context.add_cookies([{"name": "sessionid", "value": learner.session_key, "url": live_server_url}])
    page.goto(f"/orders/{number}/")
    wait_js(page, "window.learnerDashboard && window.learnerDashboard.polling")
    line = page.locator(f'.receipt-line[data-course-id="{seat.course.key}"]')
    expect(line).to_have_attribute("data-status", "open")

    in_thread(fulfillment.fulfill, number)
    expect(line).to_have_attribute("data-status", "complete", timeout=20_000)
    assert last_source(page) == "poll"
    gate.open = True
    wait_live(page, timeout=40_000)
    assert not page.evaluate("window.learnerDashboard.polling")


def test_lost_publish_converges_on_the_heartbeat(page, live_server_url, catalog, learner):
    """The worker committed and died before publishing: the heartbeat's version brings the page up to date."""
    key = catalog["free"].course.key
    enrollment = pending_enrollment(learner, catalog["free"])
    open_dashboard_as(page, learner, live_server_url)
    mark_no_reload(page)

    item_changed.disconnect(dispatch_uid="realtime.publish")
    try:
        in_thread(enrollments.activate, enrollment.pk)  # committed, never published
    finally:
        item_changed.connect(on_item_changed, dispatch_uid="realtime.publish")

    assert_active_look(page, key)
    assert last_source(page) == "catchup"
    assert page.evaluate("window.learnerDashboard.connection") == "live"
    assert_no_reload(page)


def test_duplicate_and_older_events_do_not_change_the_tile(page, live_server_url, catalog, learner):
    """After the live events, an older one and the newest again arrive: neither changes the tile.

    The three changes are published as they commit (the real path), so the server's repair, which
    catches up a socket still lacking a version a second after its commit, has nothing to do. Held
    back and published by hand instead, on a loaded machine they were older than that second: the
    repair's catch-up came first, and the server rightly dropped every event at or below it.
    """
    key = catalog["free"].course.key
    enrollment = pending_enrollment(learner, catalog["free"])
    open_dashboard_as(page, learner, live_server_url)  # caught up at version 1, pending
    seen = page.evaluate("window.learnerDashboard.events.length")
    pushes = f"window.learnerDashboard.events.slice({seen}).filter(e => e.source === 'push')"

    failed = in_thread(enrollments.fail, enrollment.pk, "Platform down.")  # version 2
    in_thread(enrollments.retry, enrollment.pk)  # version 3
    active = in_thread(enrollments.activate, enrollment.pk)  # version 4
    wait_js(page, f"{pushes}.length >= 3")
    for wire in (to_wire(failed), to_wire(active)):  # an older event, then the newest again
        assert in_thread(publish_item, learner.user.pk, "enrollment", wire)

    wait_js(page, f"{pushes}.length >= 5")
    assert_active_look(page, key)
    assert page.evaluate(f"{pushes}.map(e => e.changed)") == [1, 1, 1, 0, 0]


def test_a_burst_is_announced_once_and_the_catalog_follows_the_tiles(page, live_server_url, catalog, learner):
    """Twenty seats going live together: one summary in the live region; the catalog marks a held course."""
    from dashboard.models import Course

    courses = [Course.objects.create(key=f"course-v1:Burst+C{n}+2026", title=f"Burst {n}") for n in range(20)]
    open_dashboard_as(page, learner, live_server_url)
    free = catalog["free"]
    held = page.locator(f'.catalog-item[data-course-id="{free.course.key}"] [data-role="catalog-held"]')
    expect(held).to_be_hidden()
    page.evaluate("""() => {
        window.__announced = [];
        const region = document.querySelector('[data-role="announcer"]');
        new MutationObserver(() => window.__announced.push(region.textContent)).observe(
            region, { childList: true, characterData: true, subtree: true });
    }""")

    in_thread(enrollments.start, learner.user.pk, free.course, free.mode)  # bought in another tab
    expect(held).to_be_visible()
    expect(page.locator(f'.catalog-item[data-course-id="{free.course.key}"] [data-role="seat-buttons"]')).to_be_hidden()

    def burst():
        for course in courses:
            enrollments.activate(enrollments.start(learner.user.pk, course, "audit").pk)

    in_thread(burst)
    expect(page.locator('.tile[data-status="active"]')).to_have_count(20, timeout=20_000)
    wait_js(page, "document.querySelector('[data-role=\"announcer\"]').textContent.includes('updates')")
    announced = page.evaluate("window.__announced")
    assert len(announced) <= 6, f"a burst is summarized, not read out line by line: {announced}"
