"""Helpers of the whole-stack tests: seats, orders over HTTP, many open dashboards, screenshots."""
import asyncio
import json
from decimal import Decimal
from pathlib import Path
from threading import Thread
from typing import Any

from django.conf import settings

from commerce.models import Seat
from dashboard.models import Course, Enrollment
from devstack.processes import ROOT, wait_until
from realtime.client import DashboardClient


def free_seats(count: int) -> list[Seat]:
    return [
        Seat.objects.create(
            course=Course.objects.create(key=f"course-v1:Fault+C{n}+2026", title=f"Course {n}"),
            mode="audit",
            price=Decimal("0"),
        )
        for n in range(count)
    ]


def place(url: str, learner, seat) -> tuple[int, dict]:
    """Check out ``seat`` for ``learner`` on the server at ``url``."""
    return http_json("POST", f"{url}/api/v1/orders/", learner, {"course_id": seat.course.key, "mode": "audit"})


def database_truth(user_ids) -> dict[int, dict[str, tuple[str, int]]]:
    truth: dict[int, dict[str, tuple[str, int]]] = {uid: {} for uid in user_ids}
    for user_id, key, status, version in Enrollment.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "course__key", "status", "version"
    ):
        truth[user_id][key] = (status, version)
    return truth


class Dashboards:
    """Open dashboards (Python protocol clients) for many learners, run on a background loop."""

    def __init__(self, url: str, learners, silence_timeout: float = 8) -> None:
        # The stacks of these tests beat every 1-2 s: a client hearing nothing for 8 s reconnects.
        self.clients = {learner.user.pk: DashboardClient(url, learner.cookie_header, silence_timeout=silence_timeout)
                        for learner in learners}
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.tasks = []
        self.thread = Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        for client in self.clients.values():
            self.tasks.append(asyncio.run_coroutine_threadsafe(client.run(self.stop), self.loop))

    def all_connected(self) -> bool:
        return all(c.connected.is_set() for c in self.clients.values())

    def shown(self) -> dict[int, dict[str, tuple[str, int]]]:
        return {uid: client.statuses() for uid, client in self.clients.items()}

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        for task in self.tasks:
            task.result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def converge(board: Dashboards, user_ids, timeout: float = 60) -> None:
    def same() -> bool:
        return board.shown() == database_truth(user_ids)

    try:
        wait_until(same, timeout, "every dashboard to show the database's state", interval=0.25)
    except Exception:
        truth, shown = database_truth(user_ids), board.shown()
        diff = {uid: (shown[uid], truth[uid]) for uid in user_ids if shown[uid] != truth[uid]}
        raise AssertionError(f"dashboards differ from the database (shown, truth): {diff}") from None


def http_json(method: str, url: str, learner=None, body: Any = None) -> tuple[int, Any]:
    """One JSON request to a running server as ``learner`` (session cookie and CSRF pair)."""
    import urllib.error
    import urllib.request

    csrf = "t" * 32
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if learner is not None:
        headers["Cookie"] = f"{learner.cookie_header}; {settings.CSRF_COOKIE_NAME}={csrf}"
        headers["X-CSRFToken"] = csrf
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")


def artifacts_dir() -> Path:
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 AA, as axe-core tags it.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def accessibility_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now, one line each (none is the goal).

    axe runs through page.evaluate, which the pages' content security policy does not cover
    (an injected <script> would be refused, as it should be)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
    ]
