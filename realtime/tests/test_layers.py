"""The PubSub layer on the real Redis: a closing socket leaves at once, however busy its shard is."""
import asyncio
import contextlib

import pytest
import redis.asyncio as aioredis
from django.conf import settings

from realtime.layers import LeavingInBatches, VerifyingRedisPubSubChannelLayer
from realtime.testing import eventually


@pytest.fixture
async def layer():
    layer = VerifyingRedisPubSubChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    yield layer
    await layer.flush()


async def subscribers(*channels: str) -> dict[str, int]:
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        counts = await client.pubsub_numsub(*channels)
    finally:
        await client.aclose()
    return {name.decode() if isinstance(name, bytes) else name: count for name, count in counts}


def the_shard(layer: VerifyingRedisPubSubChannelLayer) -> LeavingInBatches:
    (shard,) = layer._get_layer()._shards  # one Redis host: one shard
    assert isinstance(shard, LeavingInBatches)
    return shard


def receiving(layer: VerifyingRedisPubSubChannelLayer, channel: str) -> bool:
    """The channel's ``receive`` is waiting for a message (a cancel now runs its clean-up)."""
    queue = layer._get_layer().channels.get(channel)
    return bool(queue and queue._getters)


def left(shard: LeavingInBatches) -> bool:
    """Nothing queued to leave and no unsubscribe in flight."""
    return not shard._leaving and (shard._unsubscriber is None or shard._unsubscriber.done())


async def test_a_closing_socket_leaves_at_once_while_its_shard_is_busy_and_is_unsubscribed_after(layer):
    channel = await layer.new_channel()
    await layer.group_add("learner-7", channel)
    group_channel = layer._get_layer()._get_group_channel_name("learner-7")
    receive = asyncio.ensure_future(layer.receive(channel))
    await eventually(lambda: receiving(layer, channel), "the socket's receive to wait")
    assert await subscribers(channel, group_channel) == {channel: 1, group_channel: 1}
    shard = the_shard(layer)

    async with shard._lock:  # the shard busy: other sockets subscribing, a publish
        # channels-redis would wait here for the lock (and a cancel meanwhile lost the clean-up).
        await asyncio.wait_for(layer.group_discard("learner-7", channel), 1)
        receive.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(receive, 1)

    async def gone() -> bool:
        return await subscribers(channel, group_channel) == {channel: 0, group_channel: 0}

    await eventually(gone, "both channels to be unsubscribed in Redis")
    assert not shard._subscribed_to & {channel, group_channel}, "nothing left in the shard's bookkeeping"


async def test_a_group_left_and_joined_again_before_its_turn_stays_subscribed(layer):
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("learner-8", first)
    group_channel = layer._get_layer()._get_group_channel_name("learner-8")
    shard = the_shard(layer)

    async with shard._lock:
        await layer.group_discard("learner-8", first)  # the group is empty: queued to leave
        rejoining = asyncio.ensure_future(layer.group_add("learner-8", second))  # a new page of the learner
        await eventually(lambda: group_channel not in shard._leaving, "the new page to take the group off the queue")
    await asyncio.wait_for(rejoining, 1)
    await eventually(lambda: left(shard), "the shard's leave queue to be worked off")

    await layer.group_send("learner-8", {"type": "item.updated", "n": 1})
    assert await asyncio.wait_for(layer.receive(second), 2) == {"type": "item.updated", "n": 1}


async def test_many_closing_sockets_leave_in_few_commands(layer):
    channels = [await layer.new_channel() for _ in range(50)]
    receives = [asyncio.ensure_future(layer.receive(channel)) for channel in channels]
    await eventually(lambda: all(receiving(layer, channel) for channel in channels), "every receive to wait")
    shard = the_shard(layer)
    sent: list[int] = []
    unsubscribe = shard._pubsub.unsubscribe

    async def counting(*names: str) -> None:
        sent.append(len(names))
        await unsubscribe(*names)

    shard._pubsub.unsubscribe = counting
    for task in receives:
        task.cancel()
    await asyncio.gather(*receives, return_exceptions=True)

    async def gone() -> bool:
        return set((await subscribers(*channels)).values()) == {0}

    await eventually(gone, "every channel to be unsubscribed")
    assert sum(sent) == 50 and len(sent) <= 2, sent
