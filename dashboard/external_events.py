"""Enrollment changes reported by services outside this codebase.

Another service that fulfils seats reports "this learner's enrollment in this
course is now active (or failed)"; the change goes through the same state
machine as our own, so it gets a version and is published to the learner's
open dashboards. Each report carries an idempotency key: a retried report gets
the first answer again and changes nothing; the same key with a different
report is refused (422, as the IETF Idempotency-Key draft says), never
answered as if it were the first.
"""
import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from config import signing
from config.errors import DomainError
from dashboard import enrollments, selectors
from dashboard.models import Enrollment, ExternalEvent
from dashboard.wire import to_wire


class EventRejected(DomainError):
    """A report that must not change anything."""


@dataclass(frozen=True)
class Applied:
    response: dict[str, Any]
    replayed: bool


def authenticate(authorization: str | None, signature: str | None, body: bytes) -> str:
    """The calling service's name: a bearer token from EVENTS_SERVICE_TOKENS, or an
    ``X-Signature: sha256=<hex>`` HMAC of the body with EVENTS_SIGNING_KEY."""
    if authorization and authorization.startswith("Bearer "):
        token = authorization.removeprefix("Bearer ").strip()
        if not settings.EVENTS_SERVICE_TOKENS:
            raise EventRejected("bad_token", "This server accepts no service tokens: none is configured "
                                             "(EVENTS_SERVICE_TOKENS is empty).")
        for service, known in settings.EVENTS_SERVICE_TOKENS.items():
            if hmac.compare_digest(token, known):
                return service
        raise EventRejected("bad_token", "The service token is not valid.")
    if signature:
        if signing.verify(settings.EVENTS_SIGNING_KEY, body, signature):
            return "signed"
        raise EventRejected("bad_signature", "The signature does not match the body.")
    raise EventRejected("unauthenticated", "Send 'Authorization: Bearer <token>' or an X-Signature.")


def apply(service: str, key: str, learner: str, course_id: str, status: str, reason: str = "") -> Applied:
    """Apply one reported change once per idempotency ``key``."""
    report = {"learner": learner, "course_id": course_id, "status": status, "reason": reason}
    earlier = ExternalEvent.objects.filter(key=key).first()
    if earlier is not None:
        return _replay(earlier, report)
    user = get_user_model().objects.filter(username=learner).first()
    if user is None:
        raise EventRejected("unknown_learner", f"There is no learner {learner!r}.")
    enrollment = selectors.enrollment_by_key(user.pk, course_id)
    if enrollment is None:
        raise EventRejected("unknown_enrollment", f"{learner} has no enrollment in {course_id}.")
    try:  # an illegal transition raises enrollments.IllegalTransition (a DomainError, 409 at the API)
        with transaction.atomic():
            changed = enrollments.transition(enrollment.pk, Enrollment.Status(status), reason=reason)
            response = {"enrollment": to_wire(changed)}
            ExternalEvent.objects.create(key=key, service=service, request=report, response=response)
    except IntegrityError:  # the same key applied concurrently: answer as the first did
        return _replay(ExternalEvent.objects.get(key=key), report)
    return Applied(response, replayed=False)


def _replay(earlier: ExternalEvent, report: dict[str, Any]) -> Applied:
    if earlier.request and earlier.request != report:
        raise EventRejected("idempotency_key_reused",
                            "This Idempotency-Key was used for a different report; use a new key for a new report.")
    return Applied(earlier.response, replayed=True)
