"""The channel layer we run: channels-redis, hardened against forged messages."""
import logging
from typing import Any

from channels_redis.core import RedisChannelLayer
from cryptography.fernet import InvalidToken

logger = logging.getLogger(__name__)

REJECTED = "layer.rejected"


class VerifyingRedisChannelLayer(RedisChannelLayer):
    """channels-redis with ``symmetric_encryption_keys``, where a message that fails
    authentication is dropped with a warning.

    Plain channels-redis raises InvalidToken inside the receiving consumer's
    loop, which kills that learner's socket: anyone able to write to Redis
    could disconnect dashboards at will. Here the message is replaced by one
    addressed to no channel, which channels-redis parks in a bounded buffer
    that nothing reads.
    """

    def deserialize(self, message: bytes) -> dict[str, Any]:
        try:
            return super().deserialize(message)
        except InvalidToken:
            logger.warning("dropped a channel-layer message that failed authentication (%d bytes)", len(message))
            return {"type": REJECTED}
