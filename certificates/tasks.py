"""Celery task of certificates: translates the queue into issuing's changes."""
from celery import shared_task

from certificates import issuing, renderer


@shared_task(acks_late=True, reject_on_worker_lost=True)
def generate_certificate(certificate_id: int) -> str:
    """Generate one certificate; a failure is recorded with its reason for the learner. Safe to run twice."""
    certificate = issuing.start_generating(certificate_id)
    if certificate is None:
        return "not_waiting"
    try:
        renderer.render(certificate)
    except renderer.RenderError as error:
        issuing.fail(certificate_id, str(error))
        return "failed"
    issuing.finish(certificate_id)
    return "ready"
