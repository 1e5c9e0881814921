"""The push side's HTTP endpoints: a connection token for the WebSocket, and the live items for pages polling while it is down."""
import logging

import redis
from django.conf import settings
from django.http import FileResponse, HttpRequest
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import learners
from config.api_errors import documented
from config.queries import SinceQuery
from realtime import items, presence, tokens

logger = logging.getLogger(__name__)


class ConnectionTokenView(APIView):
    @extend_schema(
        request=None,
        responses={200: inline_serializer("ConnectionToken", {
            "token": serializers.CharField(), "expires_in": serializers.IntegerField(),
            "subprotocols": serializers.ListField(child=serializers.CharField()),
        }), **documented(403)},
    )
    def post(self, request: Request) -> Response:
        token = tokens.issue(request.user)
        return Response({
            "token": token,
            "expires_in": settings.REALTIME_TOKEN_SECONDS,
            "subprotocols": [tokens.SUBPROTOCOL, tokens.TOKEN_PREFIX + token],
        })



LIVE_ITEMS = inline_serializer("LiveItems", {
    "version": serializers.IntegerField(),
    "items": serializers.ListField(child=inline_serializer("LiveItem", {
        "kind": serializers.CharField(), "key": serializers.CharField(), "item": serializers.DictField(),
    })),
})


class LiveItemsView(APIView):
    """The HTTP twin of the socket's catch-up: every kind's items changed after ``since``.

    Pages poll it while their socket is down. Items are the envelopes of
    docs/asyncapi.yaml (``Item``): ``kind``, ``key`` and the item.
    """

    @extend_schema(parameters=[SinceQuery], responses={200: LIVE_ITEMS, **documented(400, 403)})
    def get(self, request: Request) -> Response:
        query = SinceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        snapshot = items.changed_since(learners.learner_id(request), query.validated_data["since"])
        try:
            presence.note_poller(learners.learner_id(request))
        except redis.RedisError as exc:  # the fallback must work when Redis does not
            logger.info("could not note an HTTP poller in presence: %r", exc)
        return Response({"version": snapshot.version, "items": snapshot.items})


class WatchLiveItemsView(APIView):
    """The support console's HTTP fallback: a learner's live items, for staff."""

    permission_classes = [IsAdminUser]

    @extend_schema(parameters=[SinceQuery], responses={200: LIVE_ITEMS, **documented(400, 403, 404)})
    def get(self, request: Request, learner_id: int) -> Response:
        query = SinceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        snapshot = items.changed_since(learner_id, query.validated_data["since"])
        return Response({"version": snapshot.version, "items": snapshot.items})


ASYNCAPI_DOCUMENT = settings.BASE_DIR / "docs" / "asyncapi.yaml"


def asyncapi_document(request: HttpRequest) -> FileResponse:
    """The socket protocol's AsyncAPI document, for clients and QA tools (pytest-learnwell checks against it)."""
    return FileResponse(ASYNCAPI_DOCUMENT.open("rb"), content_type="application/yaml; charset=utf-8")

