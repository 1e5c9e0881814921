"""The learner's dashboard and the course page it links to."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from config import learners
from dashboard import selectors
from dashboard.models import Course
from dashboard.wire import blank_tile, to_wire


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    # The page's script starts from the live state the template embeds
    # ({% live_state %}: every kind, and the version they are at); these tiles
    # are its first paint.
    tiles = [to_wire(e) for e in selectors.for_learner(learners.learner_id(request))]
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "tiles": tiles,
            "blank_tile": blank_tile(),
            "show_debug": settings.DASHBOARD_DEBUG_PANEL
            or (request.user.is_staff and request.GET.get("debug") == "1"),
        },
    )


@login_required
def course_home(request: HttpRequest, course_key: str) -> HttpResponse:
    course = get_object_or_404(Course, key=course_key)
    enrollment = selectors.enrollment_of(learners.learner_id(request), course.pk)
    if not selectors.can_open_course(enrollment):
        return render(
            request,
            "dashboard/course_locked.html",
            {"course": course, "enrollment": enrollment},
            status=403,
        )
    return render(request, "dashboard/course_home.html", {"course": course})

