"""Reads of certificates."""
from certificates.models import Certificate
from certificates.wire import CertificateWire, to_wire


def certificates_changed_since(user_id: int, since: int = 0) -> list[CertificateWire]:
    """The learner's certificates changed after ``since`` (all of them for 0), oldest change first."""
    rows = Certificate.objects.filter(user_id=user_id, version__gt=since).select_related("course").order_by("version")
    return [to_wire(row) for row in rows]


def certificate_of(user_id: int, course_key: str) -> Certificate | None:
    return Certificate.objects.select_related("course").filter(user_id=user_id, course__key=course_key).first()
