"""``POST /api/v1/events/``: enrollment changes from other services (see dashboard.external_events)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import documented
from config.logcontext import acting_as
from dashboard import external_events
from dashboard.models import Enrollment


class EventIn(serializers.Serializer):
    learner = serializers.CharField(max_length=150, help_text="The learner's username.")
    course_id = serializers.CharField(max_length=255)
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class EventsView(APIView):
    """Authenticated by a service token or an HMAC signature; ``Idempotency-Key`` is required."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=EventIn, responses={200: None, 201: None, **documented(400, 401, 403, 404, 409, 422)})
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
