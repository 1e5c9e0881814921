"""One error body for the whole JSON API.

    {"error": {"code": "invalid", "message": "...", "fields": {"course_id": ["..."]}}}
"""
from typing import Any

import logging

from django.db import DatabaseError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """An API error with its own HTTP status, code and message."""

    def __init__(self, http_status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(detail=message, code=code)
        self.status_code = http_status
        self.code = code
        self.fields = fields or {}


def error_body(code: str, message: str, fields: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict) -> Response | None:
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
    if isinstance(exc, ApiError):
        response.data = error_body(exc.code, str(exc.detail), exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", "The request is not valid.", fields)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        message = str(getattr(exc, "detail", exc))
        response.data = error_body(code if isinstance(code, str) else "error", message)
    return response
