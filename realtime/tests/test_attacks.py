"""Hostile and careless clients: flooding, too many sockets, stale sessions, forged layer messages, fuzz."""
import asyncio
import json

import msgpack
import pytest
import redis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.sessions.models import Session
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dashboard import enrollments
from dashboard.tests.factories import make_course
from realtime import protocol
from realtime.publishing import group_for_user
from realtime.ratelimit import TokenBucket
from realtime.testing import connect_dashboard

pytestmark = pytest.mark.django_db(transaction=True)


def test_token_bucket_allows_burst_then_rate():
    bucket = TokenBucket(rate=2, burst=3)
    assert [bucket.allow(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.allow(0.4) is False  # 0.8 of a token back
    assert bucket.allow(0.5) is True  # 1.0 back
    assert [bucket.allow(100.0) for _ in range(4)] == [True, True, True, False]  # never above burst


async def closed_with(socket) -> dict:
    while True:
        output = await socket.connection.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return output


async def test_a_flooding_socket_is_closed_4429_and_others_carry_on(make_learner, settings):
    settings.REALTIME_CLIENT_MESSAGES_PER_SECOND = 1
    settings.REALTIME_CLIENT_MESSAGE_BURST = 5
    flooder, bystander = [await database_sync_to_async(make_learner)() for _ in range(2)]
    flood, _ = await connect_dashboard(flooder)
    calm, _ = await connect_dashboard(bystander)
    await calm.hello(0)

    for n in range(30):
        await flood.connection.send_to(text_data=json.dumps({"type": "ping", "id": str(n)}))
    closed = await closed_with(flood)
    assert closed["code"] == protocol.RATE_LIMITED.code and closed["reason"] == protocol.RATE_LIMITED.message

    course = await database_sync_to_async(make_course)()
    await database_sync_to_async(enrollments.start)(bystander.user.pk, course, "audit")
    await calm.expect_update(course.key, status="pending")
    await calm.send({"type": "ping", "id": "ok"})
    assert (await calm.expect("pong"))["id"] == "ok"
    await calm.close()


async def test_a_learner_may_hold_a_bounded_number_of_sockets(learner, settings):
    settings.REALTIME_MAX_SOCKETS_PER_LEARNER = 3
    sockets = [(await connect_dashboard(learner))[0] for _ in range(3)]
    for socket in sockets:
        await socket.hello(0)
    extra, _ = await connect_dashboard(learner)
    error = await extra.receive()
    assert error["type"] == "error" and error["code"] == "too_many_sockets"
    assert (await closed_with(extra))["code"] == protocol.TOO_MANY_SOCKETS.code

    await sockets[0].close()
    again, _ = await connect_dashboard(learner)
    await again.hello(0)  # a slot was freed
    for socket in [*sockets[1:], again]:
        await socket.close()


async def test_an_expired_or_deleted_session_is_refused(learner):
    await database_sync_to_async(Session.objects.filter(session_key=learner.session_key).delete)()
    socket, _ = await connect_dashboard(learner)
    assert (await socket.receive())["code"] == "unauthenticated"
    assert (await closed_with(socket))["code"] == protocol.UNAUTHENTICATED.code


@pytest.mark.parametrize("backend", ["pubsub", "core"])
async def test_forged_messages_written_straight_into_redis_are_not_delivered(learner, caplog, settings, backend):
    """Someone who can write to Redis but lacks the layer's key cannot inject events."""
    settings.CHANNEL_LAYERS = {"default": {**settings.CHANNEL_LAYERS["default"], "BACKEND": {
        "pubsub": "realtime.layers.VerifyingRedisPubSubChannelLayer",
        "core": "realtime.layers.VerifyingRedisChannelLayer",
    }[backend]}}
    course = await database_sync_to_async(make_course)()
    socket, _ = await connect_dashboard(learner)
    await socket.hello(0)
    layer = get_channel_layer()
    group = group_for_user(learner.user.pk)
    forged = msgpack.packb({
        "type": "enrollment.updated",
        "version": 999,
        "enrollment": {**_wire(course), "status": "active", "version": 999},
    })
    client = redis.Redis.from_url(settings.REDIS_URL)
    if backend == "pubsub":  # where a group's messages are published
        assert client.publish(layer._get_layer()._get_group_channel_name(group), forged) >= 1
    else:  # where channels-redis queues each member's messages
        members = [m.decode() for m in client.zrange(layer._group_key(group), 0, -1)]
        assert members, "the socket should be in its group"
        for channel in members:
            client.zadd(layer.prefix + layer.non_local_name(channel), {forged: 0})
    client.close()

    await socket.expect_silence(within=1.5)
    assert "failed authentication" in caplog.text  # it reached the socket's layer and was dropped
    await socket.send({"type": "ping", "id": "still-here"})  # the socket survived
    assert (await socket.expect("pong"))["id"] == "still-here"
    await socket.close()


def _wire(course) -> dict:
    return {"course_id": course.key, "course_title": course.title, "mode": "audit", "failure_reason": "",
            "url": f"/courses/{course.key}/"}


frames = st.one_of(  # non-empty: the test communicator cannot send an empty frame
    st.text(min_size=1, max_size=200),
    st.binary(min_size=1, max_size=64),
    st.dictionaries(st.sampled_from(["type", "since", "id", "group"]),
                    st.one_of(st.none(), st.integers(), st.text(max_size=10), st.sampled_from(["hello", "ping"])),
                    max_size=4).map(json.dumps),
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(frames, min_size=1, max_size=5))
def test_fuzzed_frames_always_get_a_valid_answer_and_the_socket_survives(learner, batch):
    async def run():
        socket, _ = await connect_dashboard(learner)
        for frame in batch:
            if isinstance(frame, bytes):
                await socket.connection.send_to(bytes_data=frame)
            else:
                await socket.connection.send_to(text_data=frame)
            await socket.receive()  # validated against the AsyncAPI document
        await socket.send({"type": "ping", "id": "alive"})
        assert (await socket.expect("pong"))["id"] == "alive"
        await socket.close()

    # Every example is a new handshake of the same learner: not what the handshake limit is about.
    with override_settings(REALTIME_HANDSHAKES_PER_LEARNER=1_000_000):
        asyncio.run(run())
