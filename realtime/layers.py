"""The channel layers we run: channels-redis, hardened against forged messages.

``symmetric_encryption_keys`` makes channels-redis encrypt and authenticate
every message. Plain channels-redis then raises InvalidToken inside the
receiving consumer for a message that fails, which kills that learner's
socket: anyone able to write to Redis could disconnect dashboards at will.
Here such a message is replaced by a ``layer.rejected`` one and logged.

The PubSub layer also gives each socket's channel a ``SlimQueue`` instead of an
``asyncio.Queue`` (realtime.queues: the same behaviour in a fraction of the memory),
and unsubscribes a closed socket's channels in the background, many per command
(``LeavingInBatches``).
"""
import asyncio
import logging
from typing import Any

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
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


class LeavingInBatches(RedisSingleShardConnection):
    """A shard that unsubscribes the channels of closed sockets in the background, many per command.

    channels-redis unsubscribes each channel inline, under the shard's one lock
    (subscribes and publishes take it too), so a closing socket's application
    waited its turn behind every other socket's. With 10,000 sockets in a process
    closing or connecting at once, the wait passed Daphne's application close
    timeout; Daphne cancelled the applications, and the cancel cut their clean-up
    short: their channels stayed subscribed and in the shard's bookkeeping for
    good (the benchmark's leak check grew 0.5 % a cycle; its server logged "took
    too long to shut down" for nearly every socket). Here leaving is immediate:
    the channel is queued and one task per shard sends them in one UNSUBSCRIBE.
    A channel subscribed again before its turn is simply taken off the queue.
    As in channels-redis, an unsubscribe that fails (Redis gone) is logged, not retried.
    """

    _leaving: set[str]
    _unsubscriber: "asyncio.Task[None] | None"

    @classmethod
    def adopt(cls, shard: RedisSingleShardConnection) -> None:
        """Make a shard channels-redis built into one of these (its state is kept)."""
        shard.__class__ = cls
        shard._leaving, shard._unsubscriber = set(), None

    async def subscribe(self, channel: str) -> None:
        self._leaving.discard(channel)
        await super().subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        """Queue the channel to leave; returns without suspending, so the cancel that ends a
        closing socket's ``receive`` cannot cut its clean-up short."""
        self._leaving.add(channel)
        if self._unsubscriber is None or self._unsubscriber.done():
            self._unsubscriber = asyncio.ensure_future(self._unsubscribe_leaving())

    async def _unsubscribe_leaving(self) -> None:
        while self._leaving:
            async with self._lock:
                batch = [channel for channel in self._leaving if channel in self._subscribed_to]
                self._leaving = set()
                if not batch:
                    continue
                try:
                    self._ensure_redis()
                    self._ensure_receiver()
                    await self._pubsub.unsubscribe(*batch)
                except Exception as exc:
                    logger.warning("unsubscribing %d closed channel(s) failed: %r", len(batch), exc)
                else:
                    self._subscribed_to.difference_update(batch)

    async def flush(self) -> None:
        self._leaving.clear()
        await super().flush()


class SlimPubSubLoopLayer(RedisPubSubLoopLayer):
    """channels-redis's per-event-loop PubSub layer, with a SlimQueue per channel and
    shards that unsubscribe in the background (``LeavingInBatches``)."""

    async def _subscribe_to_channel(self, channel: str) -> None:
        self.channels[channel] = SlimQueue()
        await self._get_shard(channel).subscribe(channel)


class VerifyingRedisPubSubChannelLayer(RejectForged, RedisPubSubChannelLayer):
    """The default: Redis PUBLISH/SUBSCRIBE (see docs/performance.md for why)."""

    def _get_layer(self) -> RedisPubSubLoopLayer:
        layer = super()._get_layer()
        # channels-redis makes its per-loop layer itself, by name; ours adds no state of its
        # own but the shards' queues, so the one it made becomes ours before any channel is subscribed.
        if type(layer) is RedisPubSubLoopLayer:
            layer.__class__ = SlimPubSubLoopLayer
            for shard in layer._shards:
                LeavingInBatches.adopt(shard)
        return layer


class VerifyingRedisChannelLayer(RejectForged, RedisChannelLayer):
    """Redis lists and sorted sets, with per-channel capacity. A rejected message has no
    ``__asgi_channel__``, so channels-redis parks it in a bounded buffer nothing reads."""
