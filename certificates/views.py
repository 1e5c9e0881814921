"""Certificate pages: the dashboard's request form, and the document."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from certificates import dispatch, issuing, selectors
from certificates.models import Certificate
from config import learners


@login_required
@require_POST
def request_page(request: HttpRequest) -> HttpResponse:
    try:
        dispatch.request(learners.learner_id(request), request.POST.get("course_id", ""))
    except issuing.CertificateRefused as refusal:
        messages.error(request, refusal.message)
    return redirect("dashboard")


@login_required
def download_page(request: HttpRequest, course_key: str) -> HttpResponse:
    """The certificate itself (a page to print), once it is ready; 404 before or for anyone else."""
    certificate = selectors.certificate_of(learners.learner_id(request), course_key)
    if certificate is None or certificate.status != Certificate.Status.READY:
        raise Http404("No certificate is ready for this course.")
    return render(request, "certificates/certificate.html", {"certificate": certificate})
