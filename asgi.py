"""The one ASGI entry point: ``python -m realtime.server asgi:application`` (Daphne).

HTTP goes to Django; WebSockets go through the origin check and the socket
authentication (session cookie or connection token) to the realtime routes.
"""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application

# Django must be set up before anything imports models or consumers.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application()})
