"""Asking for a certificate and getting its generation to a worker."""
import logging

from django.conf import settings
from django.db import transaction

from certificates import issuing
from certificates.models import Certificate
from certificates.tasks import generate_certificate

logger = logging.getLogger(__name__)

UNSENT = "Generating could not start just now. Try again."


def request(user_id: int, course_key: str) -> Certificate:
    """Ask for the learner's certificate (``issuing.request``) and, once that commits, have it generated."""
    with transaction.atomic():
        certificate, generate = issuing.request(user_id, course_key)
        if generate:
            transaction.on_commit(lambda: send(certificate.pk))
    return certificate


def send(certificate_id: int) -> None:
    """Enqueue the generation; when the broker refuses, the certificate fails with a reason the
    learner can act on (ask again) instead of waiting for ever."""
    try:
        generate_certificate.apply_async([certificate_id], queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    except Exception as exc:  # kombu raises the transport's own errors
        logger.error("certificate %s: could not enqueue its generation: %r", certificate_id, exc)
        with transaction.atomic():
            issuing.start_generating(certificate_id)
            issuing.fail(certificate_id, UNSENT)
