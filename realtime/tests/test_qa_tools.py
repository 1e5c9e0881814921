"""The QA tools: dashboard_watch against a running server, and the test fixtures themselves."""
import json
import subprocess
import sys
import threading

import pytest
from django.conf import settings

from dashboard import enrollments
from dashboard.tests.factories import make_course
from devstack.processes import ROOT, StackError, wait_until

pytestmark = [pytest.mark.any_database, pytest.mark.django_db(transaction=True)]


class Watcher:
    """``manage.py dashboard_watch`` in a subprocess, its output collected line by line."""

    def __init__(self, env: dict, *args: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "dashboard_watch", *args], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None  # started with stdout=PIPE
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 15) -> str:
        found: list[str] = []

        def printed() -> bool:
            found[:] = [line for line in self.lines if text in line]
            return bool(found)

        try:
            wait_until(printed, timeout, f"{text!r} in the watcher's output")
        except StackError:
            raise AssertionError(f"{text!r} never appeared; the watcher printed:\n" + "\n".join(self.lines)) from None
        return found[0]

    def finish(self) -> int:
        return self.process.wait(30)


def test_dashboard_watch_prints_catchup_and_live_updates(live_server_url, stack_env, learner):
    course = make_course(title="Watched")
    enrollment = enrollments.start(learner.user.pk, course, "verified")
    watcher = Watcher(stack_env, learner.user.username, "--url", live_server_url, "--since", "0", "--seconds", "6")
    watcher.wait_for("catch-up to version 1: 1 change(s)")
    watcher.wait_for(f"{course.key} [verified] is PENDING (v1)")

    enrollments.activate(enrollment.pk)
    watcher.wait_for(f"update v2: enrollment {course.key} [verified] is ACTIVE (v2)")
    assert watcher.finish() == 0


def test_dashboard_watch_raw_json_and_no_replay_by_default(live_server_url, stack_env, learner):
    course = make_course()
    enrollments.start(learner.user.pk, course, "audit")
    watcher = Watcher(stack_env, learner.user.username, "--url", live_server_url, "--json", "--seconds", "4")
    catchup = json.loads(watcher.wait_for('"type": "catchup"'))
    assert catchup == {"type": "catchup", "version": 1, "items": [], "build": settings.FRONTEND_BUILD}, (
        "default: only what comes next"
    )
    assert watcher.finish() == 0


def test_dashboard_watch_unknown_learner_is_a_clear_error(stack_env):
    run = subprocess.run([sys.executable, "manage.py", "dashboard_watch", "nobody-here"], cwd=ROOT, env=stack_env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "No learner called 'nobody-here'" in run.stderr


async def test_the_dashboard_fixture_is_connected_and_reports_what_arrived(dashboard, learner):
    with pytest.raises(AssertionError, match=r"(?s)did not become 'active' within 0\.5s; received: \[.*\"catchup\""):
        await dashboard.expect_update("course-v1:None+X+1", status="active", within=0.5)


async def test_a_refund_greys_out_the_tile(dashboard, learner):
    """The worked example of docs/qa.md, kept true by running it."""
    from channels.db import database_sync_to_async

    course = await database_sync_to_async(make_course)()
    enrollment = await database_sync_to_async(enrollments.start)(learner.user.pk, course, "audit")
    await dashboard.expect_update(course.key, status="pending")
    await database_sync_to_async(enrollments.activate)(enrollment.pk)
    await database_sync_to_async(enrollments.deactivate)(enrollment.pk)
    await dashboard.expect_update(course.key, status="inactive", within=5)


def test_dashboard_watch_says_so_when_nothing_answers(stack_env, learner):
    from devstack.processes import free_port

    url = f"http://127.0.0.1:{free_port()}"
    run = subprocess.run([sys.executable, "manage.py", "dashboard_watch", learner.user.username, "--url", url,
                          "--connect-seconds", "2"],
                         cwd=ROOT, env=stack_env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and f"Nothing answered at {url.replace('http', 'ws')}/ws/dashboard/ within 2 s" in run.stderr
    assert "make run" in run.stderr
