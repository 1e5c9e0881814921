"""The channel layers we run: channels-redis, hardened against forged messages.

``symmetric_encryption_keys`` makes channels-redis encrypt and authenticate
every message. Plain channels-redis then raises InvalidToken inside the
receiving consumer for a message that fails, which kills that learner's
socket: anyone able to write to Redis could disconnect dashboards at will.
Here such a message is replaced by a ``layer.rejected`` one and logged.

The PubSub layer also gives each socket's channel a ``SlimQueue`` instead of an
``asyncio.Queue`` (realtime.queues: the same behaviour in a fraction of the memory).
"""
import logging
from typing import Any

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from cryptography.fernet import InvalidToken

from realtime.queues import SlimQueue

logger = logging.getLogger(__name__)

REJECTED = "layer.rejected"


class RejectForged:
    def deserialize(self, message: bytes) -> dict[str, Any]:
        try:
            return super().deserialize(message)  # type: ignore[misc]  # a mixin: the layer after it in the MRO has it
        except InvalidToken:
            logger.warning("dropped a channel-layer message that failed authentication (%d bytes)", len(message))
            return {"type": REJECTED}


class SlimPubSubLoopLayer(RedisPubSubLoopLayer):
    """channels-redis's per-event-loop PubSub layer, with a SlimQueue per channel."""

    async def _subscribe_to_channel(self, channel: str) -> None:
        self.channels[channel] = SlimQueue()
        await self._get_shard(channel).subscribe(channel)


class VerifyingRedisPubSubChannelLayer(RejectForged, RedisPubSubChannelLayer):
    """The default: Redis PUBLISH/SUBSCRIBE (see docs/performance.md for why)."""

    def _get_layer(self) -> RedisPubSubLoopLayer:
        layer = super()._get_layer()
        # channels-redis makes its per-loop layer itself, by name; ours adds no state, so the
        # one it made becomes ours before any channel is subscribed.
        if type(layer) is RedisPubSubLoopLayer:
            layer.__class__ = SlimPubSubLoopLayer
        return layer


class VerifyingRedisChannelLayer(RejectForged, RedisChannelLayer):
    """Redis lists and sorted sets, with per-channel capacity. A rejected message has no
    ``__asgi_channel__``, so channels-redis parks it in a bounded buffer nothing reads."""
