"""The learner a request is for, as the services take it: an ``int`` user id."""
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request


def learner_id(request: HttpRequest | Request) -> int:
    """The logged-in user's id.

    Views call it behind ``login_required`` (the API behind IsAuthenticated), so an
    anonymous request gets here only by a mistake in the code: it is refused (403)
    rather than served as nobody.
    """
    user_id = request.user.pk
    if user_id is None:
        raise PermissionDenied("Log in first.")
    return int(user_id)
