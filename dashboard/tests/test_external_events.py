"""Enrollment changes reported by other services: auth, idempotency, bad input, the Python client."""
import json

import pytest
from learnwell_events import EventError, EventsClient

from config import signing
from dashboard import enrollments
from dashboard.models import Enrollment
from dashboard.tests.factories import make_course

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "s3cret-token"


@pytest.fixture(autouse=True)
def service_keys(settings):
    settings.EVENTS_SERVICE_TOKENS = {"fulfiller": TOKEN}
    settings.EVENTS_SIGNING_KEY = "signing-key"


@pytest.fixture
def pending(learner):
    return enrollments.start(learner.user.pk, make_course(), "verified")


def report(client, body, key="k-1", token=TOKEN, signature=None):
    raw = json.dumps(body).encode()
    headers = {}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if signature:
        headers["HTTP_X_SIGNATURE"] = signature
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post("/api/v1/events/", raw, content_type="application/json", **headers)


def body_for(enrollment, status="active", **changes):
    return {"learner": enrollment.user.username, "course_id": enrollment.course.key, "status": status, **changes}


async def test_a_reported_change_reaches_the_open_dashboard(dashboard, learner, async_client):
    from channels.db import database_sync_to_async

    course = await database_sync_to_async(make_course)()
    await database_sync_to_async(enrollments.start)(learner.user.pk, course, "audit")
    await dashboard.expect_update(course.key, status="pending")
    response = await async_client.post(
        "/api/v1/events/", {"learner": learner.user.username, "course_id": course.key, "status": "active"},
        content_type="application/json", headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "fulfil-1"},
    )
    assert response.status_code == 201, response.content
    await dashboard.expect_update(course.key, status="active")


def test_a_retried_report_is_applied_once(client, pending):
    first = report(client, body_for(pending), key="same")
    again = report(client, body_for(pending), key="same")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["enrollment"] == first.json()["enrollment"]
    assert Enrollment.objects.get(pk=pending.pk).version == 2


def test_a_key_reused_for_a_different_report_is_refused_and_changes_nothing(client, pending):
    assert report(client, body_for(pending), key="once").status_code == 201
    other = report(client, body_for(pending, status="failed", reason="changed my mind"), key="once")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert Enrollment.objects.get(pk=pending.pk).status == "active"


def test_a_revocation_keeps_the_services_reason_for_the_learner(client, pending):
    assert report(client, body_for(pending), key="on").status_code == 201
    revoked = report(client, body_for(pending, status="inactive", reason="Your school ended its plan."), key="off")
    assert revoked.status_code == 201
    assert Enrollment.objects.get(pk=pending.pk).failure_reason == "Your school ended its plan."


def test_a_signed_report_is_accepted(client, pending):
    raw = json.dumps(body_for(pending, status="failed", reason="Platform said no")).encode()
    signature = signing.sign("signing-key", raw)
    response = client.post("/api/v1/events/", raw, content_type="application/json",
                           HTTP_X_SIGNATURE=signature, HTTP_IDEMPOTENCY_KEY="s-1")
    assert response.status_code == 201
    assert Enrollment.objects.get(pk=pending.pk).failure_reason == "Platform said no"


@pytest.mark.parametrize(
    "kwargs,status,code",
    [
        ({"token": None}, 401, "unauthenticated"),
        ({"token": "wrong"}, 403, "bad_token"),
        ({"token": None, "signature": "sha256=00"}, 403, "bad_signature"),
        ({"key": None}, 400, "missing_idempotency_key"),
    ],
)
def test_unauthenticated_or_keyless_reports_change_nothing(client, pending, kwargs, status, code):
    response = report(client, body_for(pending), **kwargs)
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert Enrollment.objects.get(pk=pending.pk).status == "pending"


@pytest.mark.parametrize(
    "changes,status,code",
    [
        ({"learner": "nobody"}, 404, "unknown_learner"),
        ({"course_id": "course-v1:No+Such+Run"}, 404, "unknown_enrollment"),
        ({"status": "exploded"}, 400, "invalid"),
        ({"status": "inactive"}, 409, "illegal_transition"),
    ],
)
def test_bad_reports_are_clear_errors(client, pending, changes, status, code):
    response = report(client, body_for(pending, **changes))
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert Enrollment.objects.get(pk=pending.pk).status == "pending"


def test_the_python_client_against_a_running_server(live_server_url, pending):
    # A generous timeout: past the default 5 s (seen once on a loaded machine) the client sends the
    # report again under the same key, and the server rightly answers that one as a replay.
    client = EventsClient(live_server_url, token="qa-service-token", timeout=60)
    shown = client.report(pending.user.username, pending.course.key, "active", idempotency_key="sdk-1")
    assert shown["enrollment"]["status"] == "active" and shown["replayed"] is False
    assert client.report(pending.user.username, pending.course.key, "active", idempotency_key="sdk-1")["replayed"]
    signed = EventsClient(live_server_url, signing_key="qa-signing-key")
    with pytest.raises(EventError) as refused:
        signed.report(pending.user.username, pending.course.key, "pending", idempotency_key="sdk-2")
    assert refused.value.status == 409 and refused.value.code == "illegal_transition"


def test_the_client_waits_as_told_on_429_and_raises_with_the_fields_on_400(monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    answers = [(429, {"Retry-After": "0"}, {"error": {"code": "throttled", "message": "slow down"}}),
               (201, {}, {"enrollment": {"status": "active"}, "replayed": False}),
               (400, {}, {"error": {"code": "invalid", "message": "bad", "fields": {"status": ["not a status"]}}})]
    seen_keys = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen_keys.append(self.headers["Idempotency-Key"])
            status, headers, body = answers.pop(0)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sleeps = []
    monkeypatch.setattr("learnwell_events.time.sleep", sleeps.append)
    client = EventsClient(f"http://127.0.0.1:{server.server_port}", token="t")
    try:
        assert client.report("ada", "c", "active", idempotency_key="k")["enrollment"]["status"] == "active"
        assert seen_keys == ["k", "k"] and sleeps == [0.0], "retried after Retry-After, same key"
        with pytest.raises(EventError) as refused:
            client.report("ada", "c", "weird", idempotency_key="k2")
        assert refused.value.status == 400 and refused.value.fields == {"status": ["not a status"]}
    finally:
        server.shutdown()
