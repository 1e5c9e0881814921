"""The support console on a real two-node stack: staff watch a learner live, close a socket, retry an order."""
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from commerce.models import Seat
from dashboard.models import Course
from devstack.processes import wait_until
from tests.e2e.helpers import artifacts_dir, http_json, place

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]

FLAKY = "course-v1:E2E+FLAKY+2026"  # its first 3 attempts fail (devstack.testing): the order fails for good


def seat(key: str) -> Seat:
    return Seat.objects.create(course=Course.objects.create(key=key, title=key.split("+")[1].title()), mode="audit",
                               price=Decimal("0"))


def open_console(new_context, url: str, staff, learner) -> Page:
    context = new_context(base_url=url, viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": "sessionid", "value": staff.session_key, "url": url}])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # every action asks to be confirmed
    page.goto(f"/support/?q={learner.user.username}")
    page.click(f'[data-role="learner"]:has-text("{learner.user.username}")')
    page.wait_for_selector('.support [data-role="connection"][data-state="live"]', timeout=15_000)
    return page


def test_staff_watch_a_learner_live_close_a_socket_and_retry_an_order(new_context, start_stack, dashboards, make_learner):
    node_a = start_stack(workers=1)
    node_b = start_stack(workers=0)
    learner, staff = make_learner(), make_learner("grace-staff")
    staff.user.is_staff = True
    staff.user.save()
    board_a = dashboards(node_a.url, [learner])
    board_b = dashboards(node_b.url, [learner])
    page = open_console(new_context, node_a.url, staff, learner)

    sockets = page.locator('[data-role="sockets"] tbody tr')
    expect(sockets).to_have_count(2, timeout=15_000)
    assert {sockets.nth(i).get_attribute("data-node") for i in range(2)} == {
        f"daphne-{node_a.port}", f"daphne-{node_b.port}"}, "one socket on each node"

    good = seat("course-v1:E2E+WATCHED+2026")
    assert place(node_a.url, learner, good)[0] == 201
    panel_tile = page.locator(f'#tiles .tile[data-course-id="{good.course.key}"]')
    expect(panel_tile).to_have_attribute("data-status", "pending", timeout=10_000)
    expect(panel_tile).to_have_attribute("data-status", "active", timeout=20_000)
    page.screenshot(path=str(artifacts_dir() / "support-console.png"), full_page=True)

    client_b = board_b.clients[learner.user.pk]
    connections_before = client_b.connections
    page.locator(f'[data-role="sockets"] tr[data-node="daphne-{node_b.port}"] [data-role="action-close-socket"]').click()
    wait_until(lambda: client_b.connections > connections_before and client_b.connected.is_set(), 20,
               "the closed page to reconnect")
    assert 4001 in client_b.close_codes
    expect(sockets).to_have_count(2, timeout=15_000)

    flaky = seat(FLAKY)
    status, order = place(node_a.url, learner, flaky)
    assert status == 201
    order_row = page.locator(f'[data-role="orders"] tr[data-order="{order["number"]}"]')
    expect(order_row).to_have_attribute("data-status", "fulfillment_error", timeout=60_000)
    expect(page.locator(f'#tiles .tile[data-course-id="{FLAKY}"]')).to_have_attribute("data-status", "failed")
    order_row.locator('[data-role="action-retry-order"]').click()
    expect(page.locator(f'#tiles .tile[data-course-id="{FLAKY}"]')).to_have_attribute("data-status", "active",
                                                                                      timeout=20_000)
    expect(order_row).to_have_attribute("data-status", "complete", timeout=10_000)
    history = page.locator('[data-role="history"]')
    expect(history).to_contain_text("staff:grace-staff")
    expect(history).to_contain_text("retry_order")
    expect(history).to_contain_text("close_socket")
    page.screenshot(path=str(artifacts_dir() / "support-console-after-retry.png"), full_page=True)
    assert board_a.clients[learner.user.pk].statuses()[FLAKY][0] == "active"


def test_the_console_is_403_for_learners_on_a_running_server(start_stack, make_learner):
    node = start_stack(workers=0)
    learner = make_learner()
    uid = learner.user.pk
    for method, path in [("GET", "/support/"), ("GET", "/support/overview/"), ("GET", f"/support/learners/{uid}/"),
                         ("GET", f"/api/v1/support/learners/{uid}/"), ("GET", f"/api/v1/support/learners/{uid}/live/"),
                         ("POST", f"/support/learners/{uid}/actions/resync/")]:
        status, body = http_json(method, node.url + path, learner)
        assert status == 403, (path, body)
