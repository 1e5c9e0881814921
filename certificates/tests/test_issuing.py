"""Certificates: a third kind of live item, with nothing but its own app's code."""
import pytest

from certificates import dispatch, issuing
from certificates.models import Certificate
from certificates.tasks import generate_certificate
from dashboard import enrollments
from dashboard.tests.factories import make_course
from realtime import items

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch):
    """Certificate ids sent to the queue (a real worker runs them in tests/e2e/test_certificates_live.py)."""
    queued: list[int] = []
    monkeypatch.setattr("certificates.tasks.generate_certificate.apply_async", lambda args, **kw: queued.append(args[0]))
    return queued


@pytest.fixture(autouse=True)
def instant(settings):
    settings.CERTIFICATE_DELAY_SECONDS = 0
    settings.CERTIFICATE_FAILING_COURSES = set()


def active_course(user):
    course = make_course()
    enrollments.activate(enrollments.start(user.pk, course, "audit").pk)
    return course


def test_requested_generating_ready_each_a_live_item_with_the_next_version(user_client, sent):
    user = user_client.user
    course = active_course(user)  # versions 1 and 2
    certificate = dispatch.request(user.pk, course.key)
    assert sent == [certificate.pk] and certificate.status == "requested" and certificate.version == 3
    assert generate_certificate(certificate.pk) == "ready"
    snapshot = items.changed_since(user.pk, 2)
    assert [(entry["kind"], entry["key"], entry["item"]["status"]) for entry in snapshot.items] == [
        ("certificate", course.key, "ready")
    ]
    ready = snapshot.items[0]["item"]
    assert ready["version"] == 5 == snapshot.version and ready["download_url"] == f"/certificates/{course.key}/"
    assert generate_certificate(certificate.pk) == "not_waiting", "a duplicate task changes nothing"
    assert user_client.get(ready["download_url"]).status_code == 200


def test_a_failed_certificate_says_why_and_can_be_asked_for_again(user_client, sent, settings):
    user = user_client.user
    course = active_course(user)
    settings.CERTIFICATE_FAILING_COURSES = {course.key}
    certificate = dispatch.request(user.pk, course.key)
    assert generate_certificate(certificate.pk) == "failed"
    certificate.refresh_from_db()
    assert certificate.status == "failed" and "unavailable" in certificate.failure_reason
    assert user_client.get(f"/certificates/{course.key}/").status_code == 404

    settings.CERTIFICATE_FAILING_COURSES = set()
    again = dispatch.request(user.pk, course.key)
    assert again.pk == certificate.pk and again.status == "requested" and sent == [certificate.pk] * 2
    assert generate_certificate(certificate.pk) == "ready"


def test_asking_twice_generates_once(user_client, sent):
    course = active_course(user_client.user)
    first = dispatch.request(user_client.user.pk, course.key)
    second = dispatch.request(user_client.user.pk, course.key)
    assert first.pk == second.pk and sent == [first.pk]


def test_only_an_active_seat_gets_a_certificate_with_a_clear_error(user_client, sent):
    course = make_course()
    def api(key: str):
        return user_client.post("/api/v1/certificates/", {"course_id": key}, content_type="application/json")

    missing = api(course.key)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_enrollment"
    enrollments.start(user_client.user.pk, course, "audit")
    pending = api(course.key)
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "not_active"
    assert api("").status_code == 400
    assert not Certificate.objects.exists() and sent == []


def test_the_api_answers_202_with_the_certificate(user_client, sent):
    course = active_course(user_client.user)
    response = user_client.post("/api/v1/certificates/", {"course_id": course.key}, content_type="application/json")
    assert response.status_code == 202
    assert response.json() | {"version": 0} == {
        "course_id": course.key, "course_title": course.title, "status": "requested", "failure_reason": "",
        "version": 0, "download_url": "",
    }


def test_a_broker_that_refuses_leaves_a_failed_certificate_to_ask_again(user_client, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("certificates.tasks.generate_certificate.apply_async", refuse)
    course = active_course(user_client.user)
    certificate = dispatch.request(user_client.user.pk, course.key)
    certificate.refresh_from_db()
    assert certificate.status == "failed" and certificate.failure_reason == dispatch.UNSENT


def test_illegal_moves_are_refused(user_client, sent):
    course = active_course(user_client.user)
    certificate = dispatch.request(user_client.user.pk, course.key)
    with pytest.raises(issuing.CertificateRefused):
        issuing.finish(certificate.pk)
    assert Certificate.objects.get(pk=certificate.pk).status == "requested"
