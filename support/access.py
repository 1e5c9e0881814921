"""Who may use the support console: staff. Anyone else signed in gets 403 on every page and API."""
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.api_errors import error_body


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            return JsonResponse(error_body("forbidden", "The support console is for staff."), status=403)
        return view(request, *args, **kwargs)

    return guarded
