from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from realtime.auth import SocketAuthMiddleware
from realtime.consumers import DashboardConsumer, WatchConsumer
from realtime.handshakes import AddressLimitMiddleware, LearnerLimitMiddleware

websocket_urlpatterns = [
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
    path("ws/support/learners/<int:learner_id>/", WatchConsumer.as_asgi()),
]


def websocket_application():
    """What every WebSocket goes through: the origin check, the per-address handshake limit, the
    socket's authentication (session cookie or connection token), the per-learner handshake
    limit, then the routes. asgi.py serves it; tests use it in process."""
    return AllowedHostsOriginValidator(
        AddressLimitMiddleware(SocketAuthMiddleware(LearnerLimitMiddleware(URLRouter(websocket_urlpatterns))))
    )
