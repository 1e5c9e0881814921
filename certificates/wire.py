"""The one shape of a certificate on the wire: the JSON API, the dashboard and the WebSocket."""
from typing import TypedDict

from django.urls import reverse

from certificates.models import Certificate


class CertificateWire(TypedDict):
    """One certificate (``Certificate`` in docs/asyncapi.yaml and docs/openapi.yaml)."""

    course_id: str
    course_title: str
    status: str
    failure_reason: str
    version: int
    download_url: str


def to_wire(certificate: Certificate) -> CertificateWire:
    course = certificate.course
    ready = certificate.status == Certificate.Status.READY
    return CertificateWire(
        course_id=course.key,
        course_title=course.title,
        status=certificate.status,
        failure_reason=certificate.failure_reason,
        version=certificate.version,
        download_url=reverse("certificate-download", args=[course.key]) if ready else "",
    )
