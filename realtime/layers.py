"""The channel layers we run: channels-redis, hardened against forged messages.

``symmetric_encryption_keys`` makes channels-redis encrypt and authenticate
every message. Plain channels-redis then raises InvalidToken inside the
receiving consumer for a message that fails, which kills that learner's
socket: anyone able to write to Redis could disconnect dashboards at will.
Here such a message is replaced by a ``layer.rejected`` one and logged.
"""
import logging
from typing import Any

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from cryptography.fernet import InvalidToken

logger = logging.getLogger(__name__)

REJECTED = "layer.rejected"


class RejectForged:
    def deserialize(self, message: bytes) -> dict[str, Any]:
        try:
            return super().deserialize(message)  # type: ignore[misc]  # a mixin: the layer after it in the MRO has it
        except InvalidToken:
            logger.warning("dropped a channel-layer message that failed authentication (%d bytes)", len(message))
            return {"type": REJECTED}


class VerifyingRedisPubSubChannelLayer(RejectForged, RedisPubSubChannelLayer):
    """The default: Redis PUBLISH/SUBSCRIBE (see docs/performance.md for why)."""


class VerifyingRedisChannelLayer(RejectForged, RedisChannelLayer):
    """Redis lists and sorted sets, with per-channel capacity. A rejected message has no
    ``__asgi_channel__``, so channels-redis parks it in a bounded buffer nothing reads."""
