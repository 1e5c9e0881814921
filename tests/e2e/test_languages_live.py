"""The learner's language: Spanish, and Arabic right to left, chosen by the browser or the switcher; the
live updates speak it too."""
import pytest
from playwright.sync_api import expect

from dashboard import enrollments
from tests.e2e.conftest import in_thread, tile, wait_live
from tests.e2e.helpers import accessibility_violations, artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]


def open_in(new_context, url: str, learner, locale: str):
    context = new_context(base_url=url, locale=locale, viewport={"width": 1280, "height": 820})
    context.add_cookies([{"name": "sessionid", "value": learner.session_key, "url": url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/dashboard/")
    wait_live(page)
    return page, errors


@pytest.mark.parametrize("locale,language,direction,heading,ready,announced", [
    ("es-ES", "es", "ltr", "Mis cursos", "Lista", "está listo"),
    ("ar", "ar", "rtl", "دوراتي", "جاهز", "جاهزة"),
])
def test_the_dashboard_speaks_the_browsers_language(new_context, live_server_url, catalog, learner, locale, language,
                                                   direction, heading, ready, announced):
    seat = catalog["free"]
    enrollment = in_thread(enrollments.start, learner.user.pk, seat.course, seat.mode)
    page, errors = open_in(new_context, live_server_url, learner, locale)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", direction)
    expect(page.locator("h1")).to_have_text(heading)

    in_thread(enrollments.activate, enrollment.pk)  # pushed: the client's words are translated too
    card = page.locator(tile(page, seat.course.key, "active"))
    expect(card.locator('[data-role="status-badge"]')).to_have_text(ready, timeout=20_000)
    expect(page.locator('[data-role="announcer"]')).to_contain_text(announced)
    page.screenshot(path=str(artifacts_dir() / f"dashboard-{language}.png"), full_page=True)
    assert not accessibility_violations(page)
    assert not errors
    page.context.close()


def test_the_switcher_changes_the_language(page, live_server_url, catalog, learner):
    page.context.add_cookies([{"name": "sessionid", "value": learner.session_key, "url": live_server_url}])
    page.goto("/dashboard/")
    page.select_option("#language", "es")
    page.click('.language button[type="submit"]')
    expect(page.locator("h1")).to_have_text("Mis cursos")
    page.select_option("#language", "en")
    page.click('.language button[type="submit"]')
    expect(page.locator("h1")).to_have_text("My courses")
