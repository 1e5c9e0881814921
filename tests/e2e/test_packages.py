"""The installable parts, installed as their users would: each into a fresh virtual
environment outside the project, then used against a running stack."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from commerce.management.commands.seed_demo import PARTNER_COURSE
from dashboard import enrollments, selectors
from dashboard.tests.factories import make_course
from devstack.processes import ROOT
from realtime import tokens

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]

UV = Path(sys.executable).parent / "uv"


def fresh_environment(path: Path) -> Path:
    """A new virtual environment (with pip); its python."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path / "bin" / "python"


def copy_of(package: str, tmp_path: Path) -> Path:
    """The package's folder, copied: building it writes into the folder it builds."""
    return Path(shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.egg-info", "build")))


def outside_env() -> dict[str, str]:
    """The machine's environment (certificates, proxies) without this project's settings or paths."""
    ours = ("DJANGO_", "PYTEST", "VIRTUAL_ENV", "PYTHONPATH")
    return {name: value for name, value in os.environ.items() if not name.startswith(ours)}


def readme_block(after: str, language: str) -> str:
    """The first ``language`` code block in README.md after the text ``after``."""
    readme = (ROOT / "README.md").read_text()
    found = re.search(rf"```{language}\n(.*?)```", readme[readme.index(after):], re.S)
    assert found, f"no {language} block after {after!r} in README.md"
    return found.group(1)


def test_pip_install_sdk_then_the_readme_example_turns_the_demo_partner_seat_live(tmp_path, live_server_url, make_learner):
    learner = make_learner("learner")  # the demo's learner, with the demo's pending partner seat
    key, title, _ = PARTNER_COURSE
    enrollments.start(learner.user.pk, make_course(key, title), "verified")
    python = fresh_environment(tmp_path / "venv")
    subprocess.run([python, "-m", "pip", "install", "--quiet", copy_of("sdk", tmp_path)], check=True, env=outside_env())

    example = readme_block("The demo has a seat a partner sold", "python").replace("http://127.0.0.1:8000", live_server_url)
    assert live_server_url in example, "the README example no longer names the demo's address"
    first = subprocess.run([python, "-c", example], capture_output=True, text=True, cwd=tmp_path, env=outside_env(), timeout=60)
    assert first.returncode == 0, first.stderr
    assert "'status': 'active'" in first.stdout and "'replayed': False" in first.stdout
    assert selectors.enrollment_by_key(learner.user.pk, key).status == "active"

    again = subprocess.run([python, "-c", example], capture_output=True, text=True, cwd=tmp_path, env=outside_env(), timeout=60)
    assert again.returncode == 0 and "'replayed': True" in again.stdout, again.stderr


OTHER_PROJECT = {
    "otherproject/__init__.py": "",
    "otherproject/settings.py": """
SECRET_KEY = "another-project"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "otherproject.urls"
""",
    "otherproject/urls.py": "urlpatterns = []\n",
    "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = otherproject.settings\n",
    "test_fulfilment_reaches_the_dashboard.py": '''
import json
import json
import os
import urllib.request

import pytest
from django.conf import settings


@pytest.mark.asyncio
async def test_a_reported_seat_goes_live_on_the_learners_dashboard(learnwell_dashboard, learnwell_url):
    assert settings.ROOT_URLCONF == "otherproject.urls"  # this project's own Django settings
    report = {"learner": os.environ["LEARNER"], "course_id": os.environ["COURSE"], "status": "active", "reason": ""}
    urllib.request.urlopen(urllib.request.Request(
        learnwell_url + "/api/v1/events/", data=json.dumps(report).encode(), method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": "other-project-1",
                 "Authorization": "Bearer " + os.environ["EVENTS_TOKEN"]},
    ), timeout=10)
    await learnwell_dashboard.expect_update(os.environ["COURSE"], "active", within=10)
''',
}


def test_another_django_project_loads_the_qa_plugin_by_its_entry_point(tmp_path, live_server_url, learner):
    course = make_course()
    enrollments.start(learner.user.pk, course, "audit")
    python = fresh_environment(tmp_path / "venv")
    subprocess.run(
        [UV, "pip", "install", "--quiet", "--python", python, copy_of("qa", tmp_path), "Django==5.2.19", "pytest-django"],
        check=True, env=outside_env(),
    )
    project = tmp_path / "other"
    for name, text in OTHER_PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)

    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--learnwell-url", live_server_url, "--learnwell-token", tokens.issue(learner.user)],
        capture_output=True, text=True, cwd=project, timeout=120,
        env={**outside_env(), "LEARNER": learner.user.username, "COURSE": course.key, "EVENTS_TOKEN": "qa-service-token"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert selectors.enrollment_by_key(learner.user.pk, course.key).status == "active"

    token = tokens.issue(learner.user)
    watched = subprocess.run([python.parent / "learnwell-watch", live_server_url, "--token", token, "--seconds", "2"],
                             capture_output=True, text=True, timeout=60, env=outside_env())
    assert watched.returncode == 0, watched.stderr
    catchup = json.loads(watched.stdout.splitlines()[0])
    assert catchup["type"] == "catchup" and {entry["key"] for entry in catchup["items"]} >= {course.key}
    forged = subprocess.run([python.parent / "learnwell-watch", live_server_url, "--token", "forged", "--seconds", "5"],
                            capture_output=True, text=True, timeout=60, env=outside_env())
    assert forged.returncode == 1 and "token_invalid" in forged.stdout and "closed the socket: 4401" in forged.stderr

    unconfigured = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                                  capture_output=True, text=True, cwd=project, timeout=120, env=outside_env())
    assert unconfigured.returncode != 0 and "--learnwell-url or LEARNWELL_URL" in unconfigured.stdout
