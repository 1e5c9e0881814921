"""One error body for the whole JSON API, and the one place a domain error gets its HTTP status.

    {"error": {"code": "invalid", "message": "...", "fields": {"course_id": ["..."]}}}
"""
import logging
from functools import cache
from typing import Any

from django.db import DatabaseError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError

# The HTTP status of each domain error code (config.errors); any other code is a 400.
STATUS = {
    "unauthenticated": 401,
    "bad_token": 403,
    "bad_signature": 403,
    "unknown_order": 404,
    "unknown_learner": 404,
    "unknown_enrollment": 404,
    "already_paid": 409,
    "replayed": 409,
    "illegal_transition": 409,
    "not_active": 409,
    "idempotency_key_reused": 422,
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        logger.warning("%s refused (%s): %s", context["request"].path, exc.code, exc.message)
        return Response(error_body(exc.code, exc.message, exc.fields), status=STATUS.get(exc.code, 400))
    if isinstance(exc, DatabaseError):
        # The transaction rolled back: nothing was changed, the client may retry.
        logger.error("database unavailable during %s: %r", context["request"].path, exc)
        return Response(
            error_body("unavailable", "The service is briefly unavailable; nothing was changed. Please try again."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = flat(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
        response.data = error_body("invalid", "The request is not valid.", fields)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        message = str(getattr(exc, "detail", exc))
        response.data = error_body(code if isinstance(code, str) else "error", message)
    return response


def flat(detail: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as one level, by dotted path: ``{"lines.0.mode": ["This field is required."]}``."""
    if isinstance(detail, dict):
        def at(name: str) -> str:  # a nested object's own errors belong to the object
            return path if (path and name == "non_field_errors") else (f"{path}.{name}" if path else str(name))

        return {key: messages for name, value in detail.items() for key, messages in flat(value, at(name)).items()}
    if isinstance(detail, list) and detail and all(isinstance(item, (dict, list)) for item in detail):
        return {key: messages for index, value in enumerate(detail)
                for key, messages in flat(value, f"{path}.{index}").items()}
    return {path: [str(message) for message in (detail if isinstance(detail, list) else [detail])]}


@cache
def _error_schema() -> Any:
    """The error body for the OpenAPI document (one component, however many endpoints name it)."""
    from drf_spectacular.utils import inline_serializer
    from rest_framework import serializers

    return inline_serializer("Error", {"error": inline_serializer("ErrorDetail", {
        "code": serializers.CharField(), "message": serializers.CharField(),
        "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False),
    })})


def documented(*statuses: int) -> dict[int, Any]:
    """The error responses an endpoint can give, for its OpenAPI document: the one error body, with an example."""
    from drf_spectacular.utils import OpenApiExample, OpenApiResponse

    return {
        status: OpenApiResponse(_error_schema(), description=DESCRIPTIONS[status], examples=[
            OpenApiExample(f"{status} {EXAMPLES[status][0]}", value=error_body(*EXAMPLES[status]),
                           response_only=True, status_codes=[str(status)]),
        ])
        for status in statuses
    }


DESCRIPTIONS = {
    400: "The input is not valid; `fields` names the culprits.",
    401: "No valid service credentials.",
    403: "Not signed in, not allowed, or a bad signature.",
    404: "No such thing (for this caller).",
    409: "The state does not allow it (already paid, replayed, not active yet).",
    422: "The Idempotency-Key was used for a different request.",
    429: "Too many requests; see Retry-After.",
    503: "A dependency is briefly unavailable; see Retry-After.",
}

# One typical error per status, for the document's examples: (code, message, fields).
EXAMPLES: dict[int, tuple[str, str, dict | None]] = {
    400: ("invalid", "The request is not valid.", {"mode": ["\"gold\" is not a valid choice."]}),
    401: ("unauthenticated", "Send 'Authorization: Bearer <token>' or an X-Signature.", None),
    403: ("not_authenticated", "Authentication credentials were not provided.", None),
    404: ("unknown_learner", "There is no learner 'ada'.", None),
    409: ("illegal_transition", "an enrollment cannot go from active to pending", None),
    422: ("idempotency_key_reused",
          "This Idempotency-Key was used for a different report; use a new key for a new report.", None),
    429: ("throttled", "Request was throttled. Expected available in 12 seconds.", None),
    503: ("unavailable", "The service is briefly unavailable; nothing was changed. Please try again.", None),
}

