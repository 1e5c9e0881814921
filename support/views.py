"""The support console: find a learner, watch them live, act; and the cluster overview. Staff only."""
from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.api_errors import error_body
from dashboard.wire import blank_tile
from support import actions, selectors
from support.access import staff_only


@staff_only
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    return render(request, "support/search.html", {"query": query, "learners": selectors.find_learners(query)})


@staff_only
def learner_page(request: HttpRequest, learner_id: int) -> HttpResponse:
    learner = get_object_or_404(get_user_model(), pk=learner_id)
    return render(request, "support/learner.html", {
        "learner": learner, "view": asdict(selectors.learner_view(learner_id)), "blank_tile": blank_tile(),
    })


@staff_only
def learner_state(request: HttpRequest, learner_id: int) -> JsonResponse:
    """``GET /api/v1/support/learners/<id>/``: what the console shows, as JSON (it refreshes from it)."""
    get_object_or_404(get_user_model(), pk=learner_id)
    return JsonResponse(asdict(selectors.learner_view(learner_id)))


@staff_only
@require_POST
def act(request: HttpRequest, learner_id: int, action: str) -> HttpResponse:
    get_object_or_404(get_user_model(), pk=learner_id)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    try:
        done = actions.run(request.user.get_username(), learner_id, action, request.POST.get("target", ""))
    except actions.ActionRefused as refusal:
        if wants_json:
            return JsonResponse(error_body("refused", str(refusal)), status=400)
        messages.error(request, str(refusal))
    else:
        if wants_json:
            return JsonResponse({"done": done})
        messages.success(request, done)
    return redirect("support-learner", learner_id=learner_id)


@staff_only
def overview_page(request: HttpRequest) -> HttpResponse:
    return render(request, "support/overview.html", {"overview": selectors.cluster_overview()})
