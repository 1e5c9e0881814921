"""The course platform that fulfillment asks to enroll a learner, behind one small interface.

``COURSE_PLATFORM`` names the implementation (a dotted path). The one here is
simulated, for the demo and the tests: it takes ``FULFILLMENT_DELAY_SECONDS``,
fails transiently at ``FULFILLMENT_FAILURE_RATE``, and rejects the first
attempts at a course named in ``FULFILLMENT_FAILING_COURSES`` (course key ->
how many). A real one calls the platform's API and raises
``TransientFulfillmentError`` when trying again may work. Fulfillment calls it
for several lines at once, from several threads.
"""
import random
import time
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class TransientFulfillmentError(Exception):
    """The course platform did not answer as hoped; trying again may work."""


class CoursePlatform(Protocol):
    def enroll(self, order_number: str, course_key: str, attempt: int) -> None:
        """Enroll the order's learner in the course (``attempt``: 1 for the first try of this line);
        raise TransientFulfillmentError when it may work later."""


REJECTED = "The course platform rejected the enrollment (simulated)."


class SimulatedPlatform:
    def enroll(self, order_number: str, course_key: str, attempt: int) -> None:
        if settings.FULFILLMENT_DELAY_SECONDS > 0:
            time.sleep(settings.FULFILLMENT_DELAY_SECONDS)
        if attempt <= settings.FULFILLMENT_FAILING_COURSES.get(course_key, 0):
            raise TransientFulfillmentError(REJECTED)
        if random.random() < settings.FULFILLMENT_FAILURE_RATE:
            raise TransientFulfillmentError("The course platform did not confirm the enrollment in time.")


@cache
def _platform(path: str) -> CoursePlatform:
    return import_string(path)()


def platform() -> CoursePlatform:
    """The configured platform (one instance per process)."""
    return _platform(settings.COURSE_PLATFORM)
