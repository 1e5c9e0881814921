"""The staff debug panel: shown only on request, shows the state, drops the socket on demand."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import in_thread, open_dashboard_as, wait_js, wait_live
from tests.e2e.helpers import artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]


def test_staff_see_the_panel_and_can_drop_the_socket(page, live_server_url, learner):
    learner.user.is_staff = True
    in_thread(learner.user.save)
    open_dashboard_as(page, learner, live_server_url)
    expect(page.locator('[data-role="debug-panel"]')).to_have_count(0)  # not without ?debug=1

    page.goto("/dashboard/?debug=1")
    wait_live(page)
    panel = page.locator('[data-role="debug-panel"]')
    expect(panel.locator('[data-debug="connection"]')).to_have_text("live")
    expect(panel.locator('[data-debug="events"] li')).to_have_count(1)  # the catch-up
    page.screenshot(path=str(artifacts_dir() / "debug-panel.png"))

    connects = page.evaluate("window.learnerDashboard.events.length")
    panel.locator('[data-role="drop-socket"]').click()
    wait_js(page, f"window.learnerDashboard.events.length > {connects}")  # a new catch-up
    expect(panel.locator('[data-debug="connection"]')).to_have_text("live")
    expect(panel.locator('[data-debug="events"] li').first).to_contain_text("catchup")


def test_learners_never_see_the_panel(page, live_server_url, learner):
    page.context.add_cookies([{"name": "sessionid", "value": learner.session_key, "url": live_server_url}])
    page.goto("/dashboard/?debug=1")
    wait_live(page)
    expect(page.locator('[data-role="debug-panel"]')).to_have_count(0)
