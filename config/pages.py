"""Pages of the project as a whole: the one "too many requests" answer of the HTML forms, login
(limited per account and per client address, on the shared cache), and the 404 and 500 answers
(JSON under /api/)."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error

from config import throttling
from config.api_errors import error_body


def too_many(request: HttpRequest, message: str, retry_after: int) -> HttpResponse:
    """429 with a page that says what happened and when to try again."""
    response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "-")


class LoginView(auth_views.LoginView):
    """Django's login, with failed attempts limited per account and per client address.

    Only failures count, and only for ``LOGIN_FAILURE_WINDOW_SECONDS``: a learner who
    mistyped is never locked out for long, and their right password works once the window ends.
    """

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        window = settings.LOGIN_FAILURE_WINDOW_SECONDS
        account = request.POST.get("username", "").strip().lower()[:150]
        for scope, ident, limit in self._limits(account, request):
            wait = throttling.over(scope, ident, limit)
            if wait is not None:
                minutes = max(1, round(wait / 60))
                return too_many(request, _("Too many failed sign-ins; try again in about %(minutes)s min.")
                                % {"minutes": minutes}, wait)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            throttling.forget("login-account", account)
        else:
            for scope, ident, limit in self._limits(account, request):
                throttling.hit(scope, ident, limit, window)
        return response

    @staticmethod
    def _limits(account: str, request: HttpRequest) -> list[tuple[str, str, int]]:
        return [
            ("login-account", account, settings.LOGIN_FAILURES_PER_ACCOUNT),
            ("login-address", client_address(request), settings.LOGIN_FAILURES_PER_ADDRESS),
        ]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: the JSON error body under /api/ (the API's one error vocabulary), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "There is nothing at this address."), status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: the JSON error body under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Something went wrong on our side; nothing was changed."),
                            status=500)
    return default_server_error(request)
