import re

import pytest

from dashboard import enrollments
from dashboard.tests.factories import make_course, make_user

pytestmark = pytest.mark.django_db


def test_enrollment_list_requires_login(client):
    response = client.get("/api/v1/enrollments/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"


def test_enrollment_list_and_since(user_client):
    course, other = make_course(title="Alpha"), make_course(title="Beta")
    first = enrollments.start(user_client.user.pk, course, "audit")
    enrollments.start(user_client.user.pk, other, "verified")
    enrollments.activate(first.pk)

    body = user_client.get("/api/v1/enrollments/").json()
    assert body["version"] == 3
    assert {(e["course_id"], e["status"]) for e in body["enrollments"]} == {
        (course.key, "active"),
        (other.key, "pending"),
    }
    since = user_client.get("/api/v1/enrollments/?since=2").json()
    assert since == {
        "version": 3,
        "enrollments": [
            {
                "course_id": course.key,
                "course_title": "Alpha",
                "mode": "audit",
                "status": "active",
                "version": 3,
                "failure_reason": "",
                "url": f"/courses/{course.key}/",
                "paid": False,
            }
        ],
    }


def test_enrollment_list_shows_only_own(user_client):
    stranger = make_user()
    enrollments.start(stranger.pk, make_course(), "audit")
    assert user_client.get("/api/v1/enrollments/").json() == {"version": 0, "enrollments": []}


@pytest.mark.parametrize("since", ["-1", "abc", "1.5"])
def test_bad_since_is_a_clear_400(user_client, since):
    response = user_client.get(f"/api/v1/enrollments/?since={since}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "since" in error["fields"]


def test_dashboard_requires_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_pending_tile_has_disabled_link_and_announced_indicator(user_client):
    course = make_course(title="Pending Course")
    enrollments.start(user_client.user.pk, course, "audit")
    html = user_client.get("/dashboard/").content.decode()
    tile = _tile(html, course.key)
    assert 'data-status="pending"' in tile
    link = re.search(r'<a data-role="course-link"[^>]*>', tile).group(0)
    assert "href" not in link and 'aria-disabled="true"' in link
    indicator = re.search(r'<p class="indicator"[^>]*>', tile).group(0)
    assert 'role="status"' in indicator and "hidden" not in indicator
    assert "being prepared" in tile
    assert 'data-version="1"' in html


def test_active_tile_links_to_course(user_client):
    course = make_course()
    enrollments.activate(enrollments.start(user_client.user.pk, course, "audit").pk)
    tile = _tile(user_client.get("/dashboard/").content.decode(), course.key)
    assert f'href="/courses/{course.key}/"' in tile and 'data-status="active"' in tile


def test_failed_tile_shows_reason_and_retry(user_client):
    course = make_course()
    enrollments.fail(enrollments.start(user_client.user.pk, course, "audit").pk, "Platform said no.")
    tile = _tile(user_client.get("/dashboard/").content.decode(), course.key)
    assert "Platform said no." in tile and 'data-role="retry"' in tile


def test_course_page_is_403_until_active(user_client):
    course = make_course(title="Locked")
    enrollment = enrollments.start(user_client.user.pk, course, "audit")
    response = user_client.get(f"/courses/{course.key}/")
    assert response.status_code == 403
    assert "still being prepared" in response.content.decode()
    enrollments.activate(enrollment.pk)
    assert user_client.get(f"/courses/{course.key}/").status_code == 200


def test_course_page_unknown_course_is_404(user_client):
    assert user_client.get("/courses/course-v1:Nope+X+1/").status_code == 404


def _tile(html: str, course_key: str) -> str:
    match = re.search(rf'<article class="tile" data-course-id="{re.escape(course_key)}".*?</article>', html, re.S)
    assert match, f"no tile for {course_key}"
    return match.group(0)
