"""``POST /api/v1/events/``: enrollment changes from other services (see dashboard.external_events)."""
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import documented
from config.logcontext import acting_as
from dashboard import external_events
from dashboard.api import EnrollmentOut
from dashboard.models import Enrollment


class EventIn(serializers.Serializer):
    learner = serializers.CharField(max_length=150, help_text="The learner's username.")
    course_id = serializers.CharField(max_length=255)
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


EVENT_OUT = inline_serializer("EventOut", {"enrollment": EnrollmentOut(), "replayed": serializers.BooleanField()})
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="At most 200 characters, one per report: a retry with the same key and body is answered "
                "as the first time and changes nothing; the same key with another body is refused (422).",
)
REPORT_EXAMPLE = {"learner": "learner", "course_id": "course-v1:Partner+UX100+2026", "status": "active", "reason": ""}
APPLIED_EXAMPLE = {
    "enrollment": {
        "course_id": "course-v1:Partner+UX100+2026", "course_title": "UX Research Methods (partner seat)",
        "mode": "verified", "status": "active", "version": 12, "failure_reason": "",
        "url": "/courses/course-v1:Partner+UX100+2026/", "paid": False,
    },
    "replayed": False,
}


class EventsView(APIView):
    """Authenticated by a service token or an HMAC signature; ``Idempotency-Key`` is required."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=EventIn,
        parameters=[IDEMPOTENCY_KEY],
        # Security requirements (drf-spectacular's hint says names; the document needs these objects).
        auth=[{"serviceToken": []}, {"eventSignature": []}],  # type: ignore[list-item]
        responses={
            201: OpenApiResponse(EVENT_OUT, description="Applied: the learner's open dashboards get the change."),
            200: OpenApiResponse(EVENT_OUT, description="A replay of an applied report (same key, same body)."),
            **documented(400, 401, 403, 404, 409, 422),
        },
        examples=[
            OpenApiExample("A partner's seat is ready", value=REPORT_EXAMPLE, request_only=True),
            OpenApiExample("Applied", value=APPLIED_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample("Replayed", value={**APPLIED_EXAMPLE, "replayed": True}, response_only=True,
                           status_codes=["200"]),
        ],
    )
    def post(self, request: Request) -> Response:
        service = external_events.authenticate(
            request.headers.get("Authorization"), request.headers.get("X-Signature"), request.body
        )
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 200:
            raise external_events.EventRejected(
                "missing_idempotency_key", "Send an Idempotency-Key header (at most 200 characters)."
            )
        incoming = EventIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        with acting_as(f"service:{service}"):
            applied = external_events.apply(service, f"{service}:{key}", **incoming.validated_data)
        return Response({**applied.response, "replayed": applied.replayed}, status=200 if applied.replayed else 201)
