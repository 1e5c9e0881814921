"""Cluster presence on the real Redis: sockets registered, refreshed, counted across nodes, aged out."""
import pytest
from channels.db import database_sync_to_async

from realtime import presence
from realtime.testing import connect_dashboard

pytestmark = pytest.mark.django_db(transaction=True)


async def test_an_open_socket_is_present_with_its_node_and_gone_when_it_closes(learner, settings):
    socket, _ = await connect_dashboard(learner)
    await socket.send({"type": "hello", "since": 0, "protocol": 2, "build": "build-7"})
    await socket.expect("catchup")
    present = await database_sync_to_async(presence.sockets_of)(learner.user.pk)
    assert [(s.user_id, s.node, s.transport) for s in present] == [(learner.user.pk, settings.REALTIME_NODE, "socket")]
    channel = present[0].channel
    await presence.refresh([(learner.user.pk, channel, 3, "build-7")])
    refreshed = (await database_sync_to_async(presence.sockets_of)(learner.user.pk))[0]
    assert (refreshed.version, refreshed.build) == (3, "build-7")
    await socket.close()
    assert await database_sync_to_async(presence.sockets_of)(learner.user.pk) == []


async def test_the_socket_limit_counts_sockets_on_other_nodes(learner, settings):
    settings.REALTIME_MAX_SOCKETS_PER_LEARNER = 2
    elsewhere = "specific.elsewhere!test"  # a socket held by another node of the cluster
    await presence.join(learner.user.pk, elsewhere)
    first, _ = await connect_dashboard(learner)
    await first.hello(0)
    second, _ = await connect_dashboard(learner)
    refused = await second.expect("error")
    assert refused["code"] == "too_many_sockets"
    await presence.leave(learner.user.pk, elsewhere)
    await second.close()  # the refused socket had joined: its disconnect leaves
    await first.close()


async def test_an_entry_not_refreshed_ages_out(learner, settings, monkeypatch):
    await presence.join(learner.user.pk, "specific.crashed!node")
    assert len(await database_sync_to_async(presence.sockets_of)(learner.user.pk)) == 1
    now = presence.time.time()
    monkeypatch.setattr(presence.time, "time", lambda: now + presence.ttl() + 1)
    assert await database_sync_to_async(presence.sockets_of)(learner.user.pk) == [], "a crashed node's sockets expire"
    # Expired for this test's clock only: left in Redis, the entry would count against a learner
    # of the same id in a run soon after on the same prefix.
    await presence.leave(learner.user.pk, "specific.crashed!node")


async def test_a_beat_refreshes_every_socket_of_its_batch_and_brings_back_none_that_left(learner, monkeypatch):
    mine, other = learner.user.pk, learner.user.pk + 1_000_000
    for user_id, channel in ((mine, "specific.a!1"), (mine, "specific.b!1"), (other, "specific.c!1")):
        await presence.join(user_id, channel)
    await presence.leave(mine, "specific.b!1")
    now = presence.time.time()
    monkeypatch.setattr(presence.time, "time", lambda: now + presence.ttl() - 1)
    await presence.refresh([(mine, "specific.a!1", 5, "b5"), (mine, "specific.b!1", 6, "b6"),
                            (other, "specific.c!1", 7, "b7")])
    # Past the joins' expiry, within the beat's.
    monkeypatch.setattr(presence.time, "time", lambda: now + presence.ttl() + 1)
    seen = {user_id: [(s.channel, s.version, s.build) for s in await database_sync_to_async(presence.sockets_of)(user_id)]
            for user_id in (mine, other)}
    assert seen == {mine: [("specific.a!1", 5, "b5")], other: [("specific.c!1", 7, "b7")]}
    members = await database_sync_to_async(presence._live_members)(presence._key(f"learner:{mine}"), now)
    assert members == ["specific.a!1"], "the socket that left is not counted again"
    for user_id, channel in ((mine, "specific.a!1"), (other, "specific.c!1")):
        await presence.leave(user_id, channel)
