"""Place orders for a learner and make their fulfillment behave as a QA scenario needs.

Each scenario uses a fresh free course (so a new tile appears), runs the real
services (checkout, fulfillment, the state machine; every change is published
to the learner's open dashboards), and prints what it did and what a dashboard
should now show.
"""
import time
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from commerce import checkout, dispatch, fulfillment
from commerce.models import Seat
from config import live
from dashboard import selectors
from dashboard.models import Course, Enrollment
from dashboard.wire import to_wire

SCENARIOS = ["success", "failure", "fail-then-succeed", "duplicate", "out-of-order", "burst"]


# The courses QA scenarios make (unlisted; `manage.py qa_reset` removes them).
QA_PREFIX = "course-v1:QA+"


class Command(BaseCommand):
    help = "Simulate fulfillment scenarios for a learner: " + ", ".join(SCENARIOS) + "."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("scenario", choices=SCENARIOS)
        parser.add_argument("--delay", type=float, default=2.0, help="seconds a seat stays pending (default %(default)s)")
        parser.add_argument("--count", type=int, default=5, help="orders in a burst (default %(default)s)")
        parser.add_argument("--via-worker", action="store_true",
                            help="success and burst: let the Celery worker fulfill instead of this process")
        parser.add_argument("--reason", default="The course platform rejected the enrollment (simulated).")

    def handle(self, *args, username: str, scenario: str, delay: float, count: int, via_worker: bool,
               reason: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No learner called {username!r}.")
        if count < 1 or count > 500:
            raise CommandError("--count must be between 1 and 500.")
        self.user, self.delay, self.reason = user, max(0.0, delay), reason
        getattr(self, "scenario_" + scenario.replace("-", "_"))(count=count, via_worker=via_worker)

    # --- scenarios -------------------------------------------------------------

    def scenario_success(self, via_worker: bool, **_) -> None:
        number, course = self.place()
        if via_worker:
            self.say(f"Enqueued {number}; the worker fulfills it after FULFILLMENT_DELAY_SECONDS.")
            dispatch.send(number)
        else:
            self.wait()
            self.fulfill(number, course)
        self.expect(course, "active with its link enabled")

    def scenario_failure(self, **_) -> None:
        number, course = self.place()
        self.wait()
        fulfillment.give_up(number, self.reason)
        self.say(f"Fulfillment of {number} failed for good.")
        self.expect(course, f"failed, saying '{self.reason}', with a Try again button")

    def scenario_fail_then_succeed(self, **_) -> None:
        number, course = self.place()
        self.wait()
        fulfillment.give_up(number, self.reason)
        self.say(f"Fulfillment of {number} failed: the tile should say so.")
        self.wait()
        checkout.checkout(self.user.pk, course.key, "audit", enqueue=False)
        self.say("The learner retried (checkout again): the tile should be pending again.")
        self.wait()
        self.fulfill(number, course)
        self.expect(course, "active after the retry")

    def scenario_duplicate(self, **_) -> None:
        number, course = self.place()
        self.wait()
        active = self.fulfill(number, course)
        self.redeliver(active)
        self.say(f"Delivered the active event (v{active.version}) a second time.")
        self.expect(course, "active, unchanged by the duplicate")

    def scenario_out_of_order(self, **_) -> None:
        number, course = self.place()
        pending = self.enrollment(course, "placing")
        self.wait()
        self.fulfill(number, course)
        self.redeliver(pending)
        self.say(f"Delivered the older pending event (v{pending.version}) after the active one.")
        self.expect(course, "active: the older event is ignored")

    def scenario_burst(self, count: int, via_worker: bool, **_) -> None:
        placed = [self.place() for _ in range(count)]
        self.say(f"Placed {count} orders.")
        if via_worker:
            for number, _course in placed:
                dispatch.send(number)
            self.say("Enqueued them all; the worker fulfills them.")
        else:
            self.wait()
            for number, course in placed:
                self.fulfill(number, course)
        self.say(f"Expect: {count} new tiles, each pending at first, then active.")

    # --- steps -----------------------------------------------------------------

    def place(self) -> tuple[str, Course]:
        tag = uuid.uuid4().hex[:6].upper()
        # Unlisted: it stays out of every learner's catalog; `manage.py qa_reset` removes it.
        course = Course.objects.create(key=f"{QA_PREFIX}{tag}+2026", title=f"QA course {tag}", listed=False)
        Seat.objects.create(course=course, mode="audit", price=Decimal("0"))
        # This command drives fulfillment itself, so nothing is enqueued.
        number = checkout.checkout(self.user.pk, course.key, "audit", enqueue=False).order.number
        self.say(f"Placed order {number} for {course.key}: the dashboard shows a pending tile.")
        return number, course

    def fulfill(self, number: str, course: Course) -> Enrollment:
        with override_settings(FULFILLMENT_DELAY_SECONDS=0, FULFILLMENT_FAILURE_RATE=0):
            fulfillment.fulfill(number)
        self.say(f"Fulfilled {number}.")
        return self.enrollment(course, f"fulfilling {number}")

    def enrollment(self, course: Course, after: str) -> Enrollment:
        enrollment = selectors.enrollment_of(self.user.pk, course.pk)
        if enrollment is None:
            raise CommandError(f"{course.key} has no enrollment after {after}.")
        return enrollment

    def redeliver(self, enrollment: Enrollment) -> None:
        live.announce("enrollment", self.user.pk, to_wire(enrollment))

    def wait(self) -> None:
        if self.delay:
            self.say(f"Waiting {self.delay:g} s…")
            time.sleep(self.delay)

    def say(self, text: str) -> None:
        self.stdout.write(text)

    def expect(self, course: Course, state: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"Expect: {course.title} ({course.key}) {state}."))
