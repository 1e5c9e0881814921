"""Limits on WebSocket handshakes: per client address before anything else is done (no session
read, no channel), and per learner once the socket's user is known.

A refused handshake is answered by this middleware alone: accepted only to say why (an
``error`` ``too_many_connections`` with ``retry_after_ms``), then closed with 4429; nothing
reaches the consumer or the channel layer, and nothing is logged per refusal beyond one line.
The counters live in the shared cache (config.throttling), so the limits hold across nodes.
"""
import json
import logging
from typing import Any

from django.conf import settings

from config import throttling
from realtime import protocol

logger = logging.getLogger(__name__)


async def allowed(scope_name: str, ident: str, limit: int) -> int | None:
    """None when the handshake may go on, else the seconds until it may. A cache that cannot be
    reached lets it go on: the channel layer (the same Redis) refuses with 4503 anyway."""
    try:
        return await throttling.ahit(scope_name, ident, limit, settings.REALTIME_HANDSHAKE_WINDOW_SECONDS)
    except Exception as exc:  # redis errors
        logger.debug("handshake limit not checked: %r", exc)
        return None


async def refuse(receive: Any, send: Any, wait: int) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    error = protocol.error("too_many_connections", "Too many connections in a short time; wait a moment.", wait * 1000)
    await send({"type": "websocket.send", "text": json.dumps(error)})
    await send({"type": "websocket.close", "code": protocol.RATE_LIMITED.code})


class AddressLimitMiddleware:
    """The first thing a handshake meets: REALTIME_HANDSHAKES_PER_ADDRESS per window and address."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        address = (scope.get("client") or ["-"])[0]
        wait = await allowed("handshake-address", address, settings.REALTIME_HANDSHAKES_PER_ADDRESS)
        if wait is not None:
            logger.warning("handshakes from %s over the limit; refused for %d s", address, wait)
            return await refuse(receive, send, wait)
        return await self.inner(scope, receive, send)


class LearnerLimitMiddleware:
    """After the user is known: REALTIME_HANDSHAKES_PER_LEARNER per window and learner."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        user = scope.get("user")
        if user is not None and user.is_authenticated:
            wait = await allowed("handshake-learner", str(user.pk), settings.REALTIME_HANDSHAKES_PER_LEARNER)
            if wait is not None:
                logger.warning("handshakes of user %s over the limit; refused for %d s", user.pk, wait)
                return await refuse(receive, send, wait)
        return await self.inner(scope, receive, send)
