"""Reads of enrollments and learners' versions: every module outside dashboard.enrollments
(the writes) reads through these, so each rule lives in one function."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from dashboard.models import Change, Enrollment, LearnerClock
from dashboard.wire import EnrollmentWire, to_wire

Status = Enrollment.Status


@dataclass(frozen=True)
class Snapshot:
    """What changed for a learner after some version, and the version now."""

    version: int
    enrollments: list[EnrollmentWire]


def current_version(user_id: int) -> int:
    return (
        LearnerClock.objects.filter(user_id=user_id).values_list("version", flat=True).first() or 0
    )


def current_versions(user_ids: set[int]) -> dict[int, int]:
    """The version of each of these learners (those with none are left out), in one query."""
    return dict(LearnerClock.objects.filter(user_id__in=user_ids).values_list("user_id", "version"))


def versions_changed_between(start: datetime, end: datetime) -> dict[int, int]:
    """Learners whose version moved in [start, end), with their version now."""
    return dict(LearnerClock.objects.filter(changed__gte=start, changed__lt=end).values_list("user_id", "version"))


def enrollments_changed_since(user_id: int, since: int = 0) -> list[EnrollmentWire]:
    """The learner's enrollments changed after ``since`` (all of them for 0), oldest change first."""
    rows = Enrollment.objects.filter(user_id=user_id, version__gt=since).select_related("course").order_by("version")
    return [to_wire(row) for row in rows]


def changed_since(user_id: int, since: int = 0) -> Snapshot:
    """The learner's version now and the enrollments changed after ``since``."""
    # Read the version first: anything that commits between the two reads has
    # a higher version, so it is either in the list or caught next time.
    version = current_version(user_id)
    return Snapshot(version=version, enrollments=enrollments_changed_since(user_id, since))


def for_learner(user_id: int) -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(user_id=user_id).select_related("course").order_by("-created")
    )


def enrollment_of(user_id: int, course_id: int) -> Enrollment | None:
    """The learner's enrollment in the course, with its course, or None."""
    return Enrollment.objects.select_related("course").filter(user_id=user_id, course_id=course_id).first()


def enrollment_by_key(user_id: int, course_key: str) -> Enrollment | None:
    return Enrollment.objects.select_related("course").filter(user_id=user_id, course__key=course_key).first()


def holds(enrollment: Enrollment | None) -> bool:
    """The learner holds the seat: it is pending, active or failed (a refunded one can be bought again)."""
    return enrollment is not None and enrollment.status != Status.INACTIVE


def held_courses(user_id: int) -> dict[int, str]:
    """course id -> status of every seat the learner holds (``holds``), in one query."""
    return dict(
        Enrollment.objects.filter(user_id=user_id).exclude(status=Status.INACTIVE).values_list("course_id", "status")
    )


def can_open_course(enrollment: Enrollment | None) -> bool:
    """Only an active enrollment opens the course."""
    return enrollment is not None and enrollment.status == Status.ACTIVE


def history(user_id: int, limit: int = 50) -> list[Change]:
    """The learner's latest changes (every kind, and staff actions), newest first."""
    return list(Change.objects.filter(user_id=user_id).order_by("-version", "-pk")[:limit])


def changes_since_seconds(seconds: float) -> int:
    """How many item changes (each one published) the last ``seconds`` saw, across learners."""
    return Change.objects.filter(at__gte=timezone.now() - timedelta(seconds=seconds)).exclude(kind="support").count()
