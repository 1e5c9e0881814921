"""A new frontend reaches pages still running the old one: they reload at a calm moment.

The page that an earlier deploy served is played by the first load of
/dashboard/ in the tab, whose build id an init script rewrites to an older one
as the page is parsed (a rewritten response would count as a public page, which
Chromium's local-network checks then forbid to open a socket to 127.0.0.1);
every later load, the socket and the catch-up are the real server's.
"""
import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from dashboard import enrollments
from tests.e2e.conftest import in_thread, tile, wait_js, wait_live
from tests.e2e.helpers import artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]

OLD_BUILD = "an-older-build"


OLD_BUILD_ONCE = f"""
if (!sessionStorage.getItem("test.oldBuildServed")) {{
  sessionStorage.setItem("test.oldBuildServed", "1");
  new MutationObserver((changes, observer) => {{
    const start = document.getElementById("live-state");
    try {{
      const state = JSON.parse(start.textContent);
      start.textContent = JSON.stringify({{ ...state, build: "{OLD_BUILD}" }});
      observer.disconnect();
    }} catch (notYet) {{}}  // not parsed yet, or only in part
  }}).observe(document, {{ childList: true, subtree: true, characterData: true }});
}}
"""


def open_as_an_old_build(page: Page, learner, live_server_url: str) -> None:
    page.add_init_script(OLD_BUILD_ONCE)
    page.context.add_cookies([{"name": "sessionid", "value": learner.session_key, "url": live_server_url}])
    page.goto("/dashboard/")


def page_build(page: Page) -> str:
    return page.evaluate('JSON.parse(document.getElementById("live-state").textContent).build')


def wait_for_current_build(page: Page) -> None:
    wait_js(
        page,
        f'JSON.parse(document.getElementById("live-state")?.textContent ?? "{{}}").build === {settings.FRONTEND_BUILD!r}',
        timeout=15_000,
    )


def test_a_calm_page_on_an_old_build_reloads_itself_once(page, live_server_url, catalog, learner):
    seat = catalog["free"]
    enrollment = in_thread(enrollments.start, learner.user.pk, seat.course, seat.mode)
    in_thread(enrollments.activate, enrollment.pk)

    open_as_an_old_build(page, learner, live_server_url)
    wait_for_current_build(page)
    wait_live(page)
    page.evaluate("window.__sameDocument = true")
    expect(page.locator('[data-role="update-notice"]')).to_be_hidden()
    expect(page.locator(tile(page, seat.course.key, "active"))).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "a page on the current build does not reload again"


def test_a_page_with_a_pending_seat_says_so_and_reloads_once_it_is_ready(page, live_server_url, catalog, learner):
    seat = catalog["free"]
    enrollment = in_thread(enrollments.start, learner.user.pk, seat.course, seat.mode)

    open_as_an_old_build(page, learner, live_server_url)
    wait_live(page)
    notice = page.locator('[data-role="update-notice"]')
    expect(notice).to_be_visible()
    assert page_build(page) == OLD_BUILD, "not reloaded while the seat is pending"
    page.evaluate("window.__sameDocument = true")
    page.screenshot(path=str(artifacts_dir() / "update-notice.png"))

    in_thread(enrollments.activate, enrollment.pk)
    wait_for_current_build(page)
    assert page.evaluate("window.__sameDocument === undefined"), "reloaded"
    expect(page.locator(tile(page, seat.course.key, "active"))).to_be_visible()
    expect(notice).to_be_hidden()
