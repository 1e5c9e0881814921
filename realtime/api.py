"""The push side's HTTP endpoints: a connection token for the WebSocket, and the live items for pages polling while it is down."""
from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime import items, tokens


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


class SinceQuery(serializers.Serializer):
    since = serializers.IntegerField(min_value=0, required=False, default=0)


class LiveItemsView(APIView):
    """The HTTP twin of the socket's catch-up: every kind's items changed after ``since``.

    Pages poll it while their socket is down. Items are the envelopes of
    docs/asyncapi.yaml (``Item``): ``kind``, ``key`` and the item.
    """

    @extend_schema(
        parameters=[SinceQuery],
        responses=inline_serializer("LiveItems", {
            "version": serializers.IntegerField(),
            "items": serializers.ListField(child=inline_serializer("LiveItem", {
                "kind": serializers.CharField(), "key": serializers.CharField(), "item": serializers.DictField(),
            })),
        }),
    )
    def get(self, request: Request) -> Response:
        query = SinceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        snapshot = items.changed_since(request.user.pk, query.validated_data["since"])
        return Response({"version": snapshot.version, "items": snapshot.items})
