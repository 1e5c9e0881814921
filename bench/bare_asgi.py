"""The bare reference: the least a Channels consumer can do to forward group messages.

Same server, same channel layer, same session auth and group name as the real
consumer; no protocol, no catch-up, no heartbeat. ``daphne bench.bare_asgi:application``.
"""
import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application

get_asgi_application()

import json  # noqa: E402

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from realtime.auth import SocketAuthMiddleware  # noqa: E402
from realtime.publishing import group_for_user  # noqa: E402


class BareForwarder(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(group_for_user(self.scope["user"].pk), self.channel_name)
        await self.accept()

    async def enrollment_updated(self, event: dict) -> None:
        await self.send(text_data=json.dumps(event))


application = ProtocolTypeRouter(
    {"websocket": SocketAuthMiddleware(URLRouter([path("ws/dashboard/", BareForwarder.as_asgi())]))}
)

gc.freeze()  # as asgi.py does, so the two processes differ only in the consumer
