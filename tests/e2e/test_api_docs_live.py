"""The interactive API page (/api/docs/, Swagger UI) in a real browser, under the site's content security policy."""
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]


def test_the_api_page_shows_every_endpoint_with_no_policy_violation(page):
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Learner dashboard API", timeout=15_000)
    expect(page.locator('.opblock-summary-path[data-path="/api/v1/events/"]')).to_be_visible()
    page.locator('.opblock-summary-path[data-path="/api/v1/events/"]').click()
    expect(page.get_by_text("Idempotency-Key", exact=True).first).to_be_visible()
    page.screenshot(path=str(artifacts_dir() / "api-docs.png"), full_page=False)
    # The page fixture fails the test on any script error or policy violation.
