"""The one shape of an enrollment on the wire: the API, the page, the WebSocket and the benchmark."""
from typing import TypedDict

from django.urls import reverse

from dashboard.models import Enrollment


class EnrollmentWire(TypedDict):
    """One enrollment as the API, the page, the WebSocket and the benchmark carry it
    (``Enrollment`` in docs/asyncapi.yaml and docs/openapi.yaml)."""

    course_id: str
    course_title: str
    mode: str
    status: str
    version: int
    failure_reason: str
    url: str
    paid: bool


def wire(course_key: str, course_title: str, mode: str, status: str, version: int,
         failure_reason: str = "", paid: bool = False) -> EnrollmentWire:
    """The one place the shape is built (a blank course key gives the page's empty template tile)."""
    return EnrollmentWire(
        course_id=course_key,
        course_title=course_title,
        mode=mode,
        status=status,
        version=version,
        failure_reason=failure_reason,
        url=reverse("course-home", args=[course_key]) if course_key else "",
        paid=paid,
    )


def to_wire(enrollment: Enrollment) -> EnrollmentWire:
    """The enrollment as the API, the page and the WebSocket show it."""
    course = enrollment.course
    return wire(course.key, course.title, enrollment.mode, enrollment.status, enrollment.version,
                enrollment.failure_reason, enrollment.paid)


def blank_tile() -> EnrollmentWire:
    """The pages' template tile, cloned by their script for a course that first appears live."""
    return wire("", "", "", Enrollment.Status.PENDING, 0)
