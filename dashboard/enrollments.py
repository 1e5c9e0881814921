"""Enrollments and their state machine: the one place an enrollment changes.

    pending  -> active | failed
    failed   -> pending          (retry)
    active   -> inactive         (refund)
    inactive -> pending          (bought again after a refund)

Every change takes the learner's next version and is recorded as a live item
of kind ``enrollment`` (``dashboard.clock``: the change log, and after commit
the announcement that tells the learner's open pages). Callers pass ids, not instances: each change re-reads
and locks the row, so a stale object can never overwrite a newer state.
The two changes on the order path (``start``, ``activate_pending``) raise no
rule error, so they join the caller's transaction without a savepoint (two
round trips fewer each); a database error there fails the caller's transaction.
"""
from django.db import transaction

from config.errors import DomainError
from dashboard import clock
from dashboard.models import Course, Enrollment
from dashboard.wire import to_wire

Status = Enrollment.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.ACTIVE, Status.FAILED}),
    Status.FAILED: frozenset({Status.PENDING}),
    Status.ACTIVE: frozenset({Status.INACTIVE}),
    Status.INACTIVE: frozenset({Status.PENDING}),
}


class IllegalTransition(DomainError):
    """An enrollment was asked to move to a status its current one cannot reach."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__("illegal_transition", f"an enrollment cannot go from {current} to {target}")
        self.current = current
        self.target = target


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def start(user_id: int, course: Course, mode: str, paid: bool = False) -> Enrollment:
    """Make the learner's enrollment in ``course`` pending, or leave one that is under way.

    Creates a pending enrollment; a failed or refunded one goes back to
    pending; a pending or active one is returned as it is.
    """
    with transaction.atomic(savepoint=False):
        enrollment = (
            Enrollment.objects.select_for_update()
            .filter(user_id=user_id, course=course)
            .first()
        )
        if enrollment is None:
            enrollment = Enrollment.objects.create(
                user_id=user_id,
                course=course,
                mode=mode,
                paid=paid,
                status=Status.PENDING,
                version=clock.bump(user_id),
            )
            _announce(enrollment)
            return enrollment
        if enrollment.status in (Status.FAILED, Status.INACTIVE):
            enrollment.mode, enrollment.paid = mode, paid
            return _move(enrollment, Status.PENDING)
        return enrollment


def activate(enrollment_id: int) -> Enrollment:
    return transition(enrollment_id, Status.ACTIVE)


def activate_pending(user_id: int, course_id: int) -> Enrollment | None:
    """Activate the learner's enrollment in the course if it is pending; None when there is nothing to do.

    For fulfillment: one locked read instead of a read to look and another to change.
    """
    with transaction.atomic(savepoint=False):
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",)).select_related("course")
            .filter(user_id=user_id, course_id=course_id).first()
        )
        if enrollment is None or enrollment.status != Status.PENDING:
            return None
        return _move(enrollment, Status.ACTIVE)


def fail(enrollment_id: int, reason: str) -> Enrollment:
    return transition(enrollment_id, Status.FAILED, reason=reason)


def retry(enrollment_id: int) -> Enrollment:
    return transition(enrollment_id, Status.PENDING)


def deactivate(enrollment_id: int, reason: str = "") -> Enrollment:
    """Refunded (no reason) or revoked (the reason the learner sees)."""
    return transition(enrollment_id, Status.INACTIVE, reason=reason)


def transition(enrollment_id: int, target: str, reason: str = "") -> Enrollment:
    """Move one enrollment to ``target``; raises IllegalTransition and changes nothing if it cannot.

    In a savepoint, so that a caller may catch IllegalTransition and carry on in its transaction.
    """
    with transaction.atomic():
        # Lock the enrollment row only: locking the joined course row too made
        # concurrent checkouts (whose inserts key-share-lock it) deadlock on PostgreSQL.
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",)).select_related("course").get(pk=enrollment_id)
        )
        return _move(enrollment, target, reason)


def _move(enrollment: Enrollment, target: str, reason: str = "") -> Enrollment:
    if not can_transition(enrollment.status, target):
        raise IllegalTransition(enrollment.status, target)
    enrollment.status = target
    # A failure's reason, or why access was removed (a revocation; a refund gives none).
    enrollment.failure_reason = reason if target in (Status.FAILED, Status.INACTIVE) else ""
    enrollment.version = clock.bump(enrollment.user_id)
    enrollment.save(update_fields=["status", "mode", "paid", "failure_reason", "version", "updated"])
    _announce(enrollment)
    return enrollment


def _announce(enrollment: Enrollment) -> None:
    clock.record("enrollment", enrollment.user_id, enrollment.course.key, to_wire(enrollment))
