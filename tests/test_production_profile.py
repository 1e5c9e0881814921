"""With debug off the application refuses to start on secrets that are missing, published or short."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

# Start-up checks of settings and headers; they read the database no differently on either.
pytestmark = pytest.mark.any_database

ROOT = Path(__file__).resolve().parent.parent
GOOD = secrets.token_urlsafe(50)
NAMES = ("DJANGO_SECRET_KEY", "CHANNEL_LAYER_ENCRYPTION_KEY", "PAYMENT_WEBHOOK_SECRET")


def start(**secrets: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in NAMES and k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_DEBUG="0", DJANGO_SETTINGS_MODULE="config.settings", **secrets)
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value,problem", [
    (None, "is not set"),
    ("change-me-in-production", "is a default published in this repository"),
    ("demo-payment-secret", "is a default published in this repository"),
    ("short", "is shorter than"),
])
def test_start_up_stops_naming_the_variable(name, value, problem):
    given = {n: GOOD for n in NAMES if n != name}
    if value is not None:
        given[name] = value
    run = start(**given)
    assert run.returncode != 0
    assert f"{name} {problem}" in run.stderr and "secrets.token_urlsafe" in run.stderr, run.stderr[-800:]


def test_secrets_of_your_own_start():
    run = start(**{name: GOOD for name in NAMES})
    assert run.returncode == 0, run.stderr[-800:]


def test_the_demo_runs_on_its_defaults():
    env = {k: v for k, v in os.environ.items() if k not in NAMES and k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")
    run = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr[-800:]


@pytest.mark.django_db
def test_every_page_carries_a_strict_policy_and_the_safety_headers(user_client):
    for path in ("/dashboard/", "/accounts/login/", "/api/v1/live/"):
        response = user_client.get(path)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_the_production_profile_passes_the_deploy_check_without_a_warning():
    # Not the test run's own switches (the browser tests allow async-unsafe calls in their process).
    env = {k: v for k, v in os.environ.items()
           if k not in NAMES and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DJANGO_DEBUG="0", DJANGO_SECURE="1", DJANGO_SETTINGS_MODULE="config.settings",
               **{name: GOOD for name in NAMES})
    run = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "no issues" in run.stdout, run.stdout + run.stderr


@pytest.mark.django_db
def test_unknown_api_addresses_answer_in_the_apis_error_body(client):
    response = client.get("/api/v1/support/learners/not-a-number/live/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get("/no-such-page/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("since", ["0.0", " 3", "-1", "1e2", "x"])
def test_since_must_be_written_as_a_whole_number(user_client, since):
    for path in ("/api/v1/live/", "/api/v1/enrollments/"):
        response = user_client.get(path, {"since": since})
        assert response.status_code == 400 and "since" in response.json()["error"]["fields"], (path, since)
