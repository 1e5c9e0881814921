"""JSON API of the shop: place an order, receive a payment notification."""
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce import checkout, payments
from commerce.models import Order, OrderLine
from commerce.wire import to_wire
from config import learners
from config.api_errors import documented
from config.logcontext import acting_as
from config.throttling import SharedScopedThrottle
from dashboard.models import Enrollment


class LineIn(serializers.Serializer):
    """One seat: a course and the mode to buy it in."""

    course_id = serializers.CharField(min_length=1, max_length=255)
    mode = serializers.ChoiceField(choices=Enrollment.Mode.choices)


class LinesIn(serializers.Serializer):
    """Several seats in one order, each course once."""

    # many=True makes a ListSerializer, which takes the lengths (the stubs type LineIn's own arguments).
    lines = LineIn(many=True, min_length=1, max_length=checkout.MAX_LINES)  # type: ignore[call-arg]


class ProgramIn(serializers.Serializer):
    """A program's seats."""

    program_id = serializers.CharField(min_length=1, max_length=255)


# The request, as the OpenAPI document gives it: exactly one of the three shapes.
ORDER_REQUEST = PolymorphicProxySerializer(
    component_name="OrderRequest", serializers=[LineIn, LinesIn, ProgramIn], resource_type_field_name=None
)


class OrderIn(serializers.Serializer):
    """One seat (``course_id`` and ``mode``), several in one order (``lines``), or a program's (``program_id``)."""

    course_id = serializers.CharField(min_length=1, max_length=255, required=False)
    mode = serializers.ChoiceField(choices=Enrollment.Mode.choices, required=False)
    lines = LineIn(many=True, required=False, min_length=1, max_length=checkout.MAX_LINES)  # type: ignore[call-arg]
    program_id = serializers.CharField(min_length=1, max_length=255, required=False)

    def validate(self, data: dict) -> dict:
        given = [name for name in ("course_id", "lines", "program_id") if name in data]
        if len(given) != 1:
            raise serializers.ValidationError({"course_id": ["Send course_id and mode, lines, or program_id."]})
        if "course_id" in data and "mode" not in data:
            raise serializers.ValidationError({"mode": ["This field is required."]})
        return data

    def seats(self) -> list:
        data = self.validated_data
        if "program_id" in data:
            return checkout.program_seats(data["program_id"])
        lines = data.get("lines") or [data]
        return [checkout.find_seat(line["course_id"], line["mode"]) for line in lines]


class OrderLineOut(serializers.Serializer):
    course_id = serializers.CharField()
    course_title = serializers.CharField()
    mode = serializers.ChoiceField(choices=Enrollment.Mode.choices)
    status = serializers.ChoiceField(choices=OrderLine.Status.choices)
    failure_reason = serializers.CharField(allow_blank=True)
    url = serializers.CharField()


class OrderOut(serializers.Serializer):
    """commerce.wire.OrderWire, for the OpenAPI document."""

    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.CharField()
    failure_reason = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    payment_url = serializers.CharField(allow_null=True)
    receipt_url = serializers.CharField()
    lines = OrderLineOut(many=True)


class OrderCreateView(APIView):
    throttle_classes = [SharedScopedThrottle]
    throttle_scope = "checkout"

    @extend_schema(
        request=ORDER_REQUEST,
        responses={201: OrderOut, 200: OrderOut, **documented(400, 403, 429, 503)},
        examples=[
            OpenApiExample("One seat", value={"course_id": "course-v1:Learnwell+PY101+2026", "mode": "audit"},
                           request_only=True),
            OpenApiExample("Several seats", request_only=True, value={"lines": [
                {"course_id": "course-v1:Learnwell+PY101+2026", "mode": "audit"},
                {"course_id": "course-v1:Learnwell+DS110+2026", "mode": "audit"},
            ]}),
            OpenApiExample("A program", value={"program_id": "program-v1:Learnwell+ML+2027"}, request_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        incoming = OrderIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        result = checkout.checkout_seats(learners.learner_id(request), incoming.seats())
        return Response(
            to_wire(result.order, result.lines),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class PaymentNotifyView(APIView):
    """Called by the payment provider, authenticated by the body's HMAC signature."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [SharedScopedThrottle]
    throttle_scope = "payments"

    @extend_schema(
        request={"application/json": {"type": "object"}},
        auth=[{"paymentSignature": []}],  # type: ignore[list-item]  # security requirements, not names
        responses={200: OrderOut, **documented(400, 403, 404, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        with acting_as("service:payments"):
            order = payments.handle_notification(request.body, request.headers.get(payments.SIGNATURE_HEADER))
        return Response(to_wire(order))
