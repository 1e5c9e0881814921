"""``POST /api/v1/realtime/token/``: a short-lived connection token for the WebSocket."""
from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime import tokens


class ConnectionTokenView(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer("ConnectionToken", {
            "token": serializers.CharField(), "expires_in": serializers.IntegerField(),
            "subprotocols": serializers.ListField(child=serializers.CharField()),
        }),
    )
    def post(self, request: Request) -> Response:
        token = tokens.issue(request.user)
        return Response({
            "token": token,
            "expires_in": settings.REALTIME_TOKEN_SECONDS,
            "subprotocols": [tokens.SUBPROTOCOL, tokens.TOKEN_PREFIX + token],
        })
