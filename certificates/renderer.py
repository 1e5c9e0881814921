"""Rendering a certificate's document, simulated: it takes CERTIFICATE_DELAY_SECONDS and fails
for the courses in CERTIFICATE_FAILING_COURSES (for the demo and the tests)."""
import time

from django.conf import settings

from certificates.models import Certificate


class RenderError(Exception):
    """The document could not be made; the message is for the learner."""


def render(certificate: Certificate) -> None:
    time.sleep(settings.CERTIFICATE_DELAY_SECONDS)
    if certificate.course.key in settings.CERTIFICATE_FAILING_COURSES:
        raise RenderError("The certificate service is unavailable (simulated). Try again later.")
