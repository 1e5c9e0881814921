"""Certificates and their state machine: the one place a certificate changes.

    (new)      -> requested   (the learner asks; only for a course whose seat is active)
    requested  -> generating  (a worker took it)
    generating -> ready | failed
    failed     -> requested   (the learner asks again)

Every change takes the learner's next version (``dashboard.clock``) and is
announced after commit as a live item of kind ``certificate``, so the
dashboard shows it going from "generating" to a download link in place.
"""
import logging

from django.db import transaction

from certificates.models import Certificate
from certificates.wire import to_wire
from config.errors import DomainError
from dashboard import clock, selectors

logger = logging.getLogger(__name__)
Status = Certificate.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.REQUESTED: frozenset({Status.GENERATING}),
    Status.GENERATING: frozenset({Status.READY, Status.FAILED}),
    Status.FAILED: frozenset({Status.REQUESTED}),
    Status.READY: frozenset(),
}


class CertificateRefused(DomainError):
    """The learner may not have this certificate (yet)."""


def request(user_id: int, course_key: str) -> tuple[Certificate, bool]:
    """Ask for the learner's certificate in a course; returns it and whether it must be generated.

    One that is under way or ready is returned as it is; a failed one is asked for again.
    Raises CertificateRefused unless the learner's seat in the course is active.
    """
    enrollment = selectors.enrollment_by_key(user_id, course_key)
    if enrollment is None:
        raise CertificateRefused("unknown_enrollment", f"You are not enrolled in {course_key!r}.")
    if not selectors.can_open_course(enrollment):
        raise CertificateRefused("not_active", "A certificate is issued once your seat in the course is ready.")
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update().select_related("course")
            .filter(user_id=user_id, course=enrollment.course).first()
        )
        if certificate is None:
            certificate = Certificate.objects.create(
                user_id=user_id, course=enrollment.course, version=clock.bump(user_id)
            )
            _announce(certificate)
            return certificate, True
        if certificate.status == Status.FAILED:
            return _move(certificate, Status.REQUESTED), True
        return certificate, False


def start_generating(certificate_id: int) -> Certificate | None:
    """A worker takes the certificate; None when it is not waiting (a duplicate task)."""
    with transaction.atomic():
        certificate = _locked(certificate_id)
        if certificate.status != Status.REQUESTED:
            return None
        return _move(certificate, Status.GENERATING)


def finish(certificate_id: int) -> Certificate:
    with transaction.atomic():
        return _move(_locked(certificate_id), Status.READY)


def fail(certificate_id: int, reason: str) -> Certificate:
    with transaction.atomic():
        return _move(_locked(certificate_id), Status.FAILED, reason)


def _locked(certificate_id: int) -> Certificate:
    return Certificate.objects.select_for_update(of=("self",)).select_related("course").get(pk=certificate_id)


def _move(certificate: Certificate, target: str, reason: str = "") -> Certificate:
    if target not in TRANSITIONS[certificate.status]:
        raise CertificateRefused(
            "illegal_transition", f"a certificate cannot go from {certificate.status} to {target}"
        )
    certificate.status = target
    certificate.failure_reason = reason if target == Status.FAILED else ""
    certificate.version = clock.bump(certificate.user_id)
    certificate.save(update_fields=["status", "failure_reason", "version", "updated"])
    _announce(certificate)
    logger.info("certificate of user %s in %s: %s", certificate.user_id, certificate.course.key, target)
    return certificate


def _announce(certificate: Certificate) -> None:
    clock.record("certificate", certificate.user_id, certificate.course.key, to_wire(certificate))
