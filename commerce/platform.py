"""The course platform that fulfillment asks to enroll a learner, behind one small interface.

``COURSE_PLATFORM`` names the implementation (a dotted path). The one here is
simulated, for the demo and the tests: it takes ``FULFILLMENT_DELAY_SECONDS``
and fails transiently at ``FULFILLMENT_FAILURE_RATE``. A real one calls the
platform's API and raises ``TransientFulfillmentError`` when trying again may work.
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
    def enroll(self, order_number: str) -> None:
        """Enroll the order's learner; raise TransientFulfillmentError when it may work later."""


class SimulatedPlatform:
    def enroll(self, order_number: str) -> None:
        if settings.FULFILLMENT_DELAY_SECONDS > 0:
            time.sleep(settings.FULFILLMENT_DELAY_SECONDS)
        if random.random() < settings.FULFILLMENT_FAILURE_RATE:
            raise TransientFulfillmentError("The course platform did not confirm the enrollment in time.")


@cache
def _platform(path: str) -> CoursePlatform:
    return import_string(path)()


def platform() -> CoursePlatform:
    """The configured platform (one instance per process)."""
    return _platform(settings.COURSE_PLATFORM)
