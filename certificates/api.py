"""JSON API of certificates: ask for one."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates import dispatch
from certificates.models import Certificate
from certificates.wire import to_wire
from config import learners
from config.api_errors import documented


class CertificateIn(serializers.Serializer):
    course_id = serializers.CharField(min_length=1, max_length=255)


class CertificateOut(serializers.Serializer):
    """certificates.wire.CertificateWire, for the OpenAPI document."""

    course_id = serializers.CharField()
    course_title = serializers.CharField()
    status = serializers.ChoiceField(choices=Certificate.Status.choices)
    failure_reason = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    download_url = serializers.CharField(allow_blank=True)


class CertificateRequestView(APIView):
    @extend_schema(
        request=CertificateIn,
        responses={202: CertificateOut, **documented(400, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        incoming = CertificateIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        certificate = dispatch.request(learners.learner_id(request), incoming.validated_data["course_id"])
        return Response(to_wire(certificate), status=status.HTTP_202_ACCEPTED)
