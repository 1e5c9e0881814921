"""The dashboard consumer through asgi.application, on the real Redis channel layer."""
import asyncio
import json
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from dashboard import clock, enrollments
from dashboard.tests.factories import make_course
from dashboard.wire import to_wire
from realtime import items, protocol
from realtime.publishing import group_for_user, publish_item
from realtime.testing import connect_dashboard, recorded_batches

pytestmark = pytest.mark.django_db(transaction=True)

start = database_sync_to_async(enrollments.start)
activate = database_sync_to_async(enrollments.activate)
course_factory = database_sync_to_async(make_course)


async def test_anonymous_socket_is_told_and_closed_4401():
    socket, _ = await connect_dashboard(None)
    error = await socket.receive()
    assert error == {"type": "error", "code": "unauthenticated", "message": "Log in to receive updates."}
    closed = await socket.connection.receive_output(timeout=2)
    assert closed["type"] == "websocket.close" and closed["code"] == protocol.UNAUTHENTICATED.code


async def test_a_draining_server_closes_its_sockets_4001_evenly_and_turns_new_ones_away(make_learner):
    from realtime import hub

    learners = [await database_sync_to_async(make_learner)() for _ in range(4)]
    sockets = [(await connect_dashboard(learner))[0] for learner in learners]
    for socket in sockets:
        await socket.hello()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await hub.hub().drain(window=0.4) == 4
    assert loop.time() - started >= 0.35, "paced over the window: the last closes at 7/8 of it"
    for socket in sockets:
        assert await socket.expect("error") == {
            "type": "error", "code": "going_away", "message": protocol.GOING_AWAY.message, "retry_after_ms": 0,
        }
        closed = await socket.connection.receive_output(timeout=2)
        assert closed == {"type": "websocket.close", "code": protocol.GOING_AWAY.code, "reason": protocol.GOING_AWAY.message}

    late, _ = await connect_dashboard(learners[0])
    assert (await late.receive())["code"] == "going_away"
    assert (await late.connection.receive_output(timeout=2))["code"] == protocol.GOING_AWAY.code


async def test_foreign_origin_is_refused(learner):
    socket, code = await connect_dashboard(learner, origin="https://evil.example")
    # Refused before accept: Daphne turns this into an HTTP 403 at the handshake.
    assert socket is None and code is not None


async def test_hello_gets_catchup_then_live_events(learner):
    course, later = await course_factory(), await course_factory()
    enrollment = await start(learner.user.pk, course, "audit")
    socket, _ = await connect_dashboard(learner)

    catchup = await socket.hello(since=0)
    assert catchup["version"] == 1
    assert [(e["course_id"], e["status"]) for e in catchup["enrollments"]] == [(course.key, "pending")]

    await activate(enrollment.pk)
    update = await socket.expect("enrollment.updated")
    assert update["version"] == 2
    assert update["enrollment"]["status"] == "active" and update["enrollment"]["course_id"] == course.key

    await start(learner.user.pk, later, "verified")
    await socket.expect_update(later.key, status="pending")
    await socket.close()


def other_kind(version: int) -> dict:
    """An item of another registered kind (an order), as its app would announce it."""
    return {"number": "LP-TEST", "status": "complete", "total": "0.00", "currency": "USD", "failure_reason": "",
            "version": version, "payment_url": None, "receipt_url": "/orders/LP-TEST/", "lines": []}


async def test_protocol_2_carries_every_kind_and_protocol_1_only_enrollments(learner):
    course = await course_factory()
    current, _ = await connect_dashboard(learner)
    legacy, _ = await connect_dashboard(learner)
    assert (await current.hello(0, protocol=2))["items"] == []
    assert (await legacy.hello(0))["enrollments"] == []

    enrollment = await start(learner.user.pk, course, "audit")  # version 1
    update = await current.expect("item.updated")
    assert (update["kind"], update["key"], update["version"]) == ("enrollment", course.key, 1)
    assert update["item"] == to_wire(enrollment)
    assert (await legacy.expect("enrollment.updated"))["enrollment"] == to_wire(enrollment)

    order_version = await database_sync_to_async(clock.bump)(learner.user.pk)  # version 2
    await database_sync_to_async(publish_item)(learner.user.pk, "order", other_kind(order_version))
    update = await current.expect("item.updated")
    assert (update["kind"], update["key"], update["version"]) == ("order", "LP-TEST", 2)
    await legacy.expect_silence(0.5)  # protocol 1 knows no orders; its next heartbeat closes the gap

    active = await activate(enrollment.pk)  # version 3: both hear it
    assert (await current.expect("item.updated"))["item"] == to_wire(active)
    assert (await legacy.expect("enrollment.updated"))["version"] == 3
    for socket in (current, legacy):
        await socket.close()


async def test_a_push_does_not_wait_for_the_database_thread(learner):
    """A process's sockets share one thread for their database calls (a catch-up's query, a
    handshake's session read); a push needs none, so one holding that thread delays no push."""
    socket, _ = await connect_dashboard(learner)
    assert (await socket.hello(0, protocol=2))["items"] == []
    release = threading.Event()
    held = asyncio.ensure_future(sync_to_async(release.wait)(10))  # a slow query, as far as the thread knows
    try:
        await get_channel_layer().group_send(group_for_user(learner.user.pk), {
            "type": "item.updated", **items.envelope("order", other_kind(1)), "version": 1,
        })
        update = await socket.expect("item.updated", within=2)
        assert (update["kind"], update["version"]) == ("order", 1)
        assert not held.done(), "the thread was still held when the push arrived"
    finally:
        release.set()
        await held
    await socket.close()


async def test_an_old_publishers_group_message_still_reaches_every_page(learner):
    """During a rolling deploy, a worker not yet updated publishes the old group message."""
    course = await course_factory()
    enrollment = await start(learner.user.pk, course, "audit")
    current, _ = await connect_dashboard(learner)
    legacy, _ = await connect_dashboard(learner)
    await current.hello(0, protocol=2)
    await legacy.hello(0)
    active = await activate(enrollment.pk)
    await current.expect("item.updated")  # the new publisher's own event, then the old one's duplicate:
    await legacy.expect("enrollment.updated")
    wire = to_wire(active)
    await get_channel_layer().group_send(group_for_user(learner.user.pk), {
        "type": "enrollment.updated", "version": wire["version"] + 1, "enrollment": {**wire, "version": wire["version"] + 1},
    })
    update = await current.expect("item.updated")
    assert (update["kind"], update["key"], update["version"]) == ("enrollment", course.key, wire["version"] + 1)
    assert (await legacy.expect("enrollment.updated"))["version"] == wire["version"] + 1
    for socket in (current, legacy):
        await socket.close()


async def test_a_hello_in_an_unknown_protocol_is_an_error_and_changes_nothing(learner):
    socket, _ = await connect_dashboard(learner)
    await socket.send({"type": "hello", "since": 0, "protocol": 3})
    error = await socket.expect("error")
    assert error["code"] == "unsupported_protocol"
    await socket.expect_silence(0.3)
    assert (await socket.hello(0, protocol=2))["items"] == []
    await socket.close()


async def test_completed_before_socket_connected_arrives_in_catchup(learner):
    course = await course_factory()
    enrollment = await start(learner.user.pk, course, "audit")
    rendered_version = 1  # what the page was rendered with
    await activate(enrollment.pk)  # fulfillment completes before the socket exists

    socket, _ = await connect_dashboard(learner)
    catchup = await socket.hello(since=rendered_version)
    assert [(e["course_id"], e["status"]) for e in catchup["enrollments"]] == [(course.key, "active")]
    await socket.close()


async def test_reconnect_with_last_version_catches_up_what_was_missed(learner):
    course = await course_factory()
    enrollment = await start(learner.user.pk, course, "audit")
    socket, _ = await connect_dashboard(learner)
    seen = (await socket.hello(since=0))["version"]
    await socket.close()

    await activate(enrollment.pk)  # happens while the socket is down

    again, _ = await connect_dashboard(learner)
    catchup = await again.hello(since=seen)
    assert [e["status"] for e in catchup["enrollments"]] == ["active"]
    await again.close()


async def test_events_before_hello_are_not_sent_twice(learner):
    course = await course_factory()
    enrollment = await start(learner.user.pk, course, "audit")
    socket, _ = await connect_dashboard(learner)
    await activate(enrollment.pk)  # published before the client says hello
    catchup = await socket.hello(since=0)
    assert catchup["enrollments"][0]["status"] == "active"
    await socket.expect_silence(within=0.5)
    await socket.close()


async def test_learners_never_see_each_others_events(make_learner):
    alice, bob = await database_sync_to_async(make_learner)(), await database_sync_to_async(make_learner)()
    course = await course_factory()
    alice_socket, _ = await connect_dashboard(alice)
    bob_socket, _ = await connect_dashboard(bob)
    await alice_socket.hello(0)
    await bob_socket.hello(0)
    # Whatever bob sends, he cannot widen what he receives.
    await bob_socket.send({"type": "hello", "since": 0, "group": f"learner.{alice.user.pk}", "user_id": alice.user.pk})
    await bob_socket.expect("catchup")

    await start(alice.user.pk, course, "audit")
    await alice_socket.expect_update(course.key, status="pending")
    await bob_socket.expect_silence(within=0.7)
    await alice_socket.close()
    await bob_socket.close()


async def test_heartbeat_carries_the_current_version(learner, settings):
    settings.REALTIME_HEARTBEAT_SECONDS = 0.2
    course = await course_factory()
    await start(learner.user.pk, course, "audit")
    socket, _ = await connect_dashboard(learner)
    await socket.hello(0)
    heartbeat = await socket.expect("heartbeat", within=2)
    assert heartbeat == {"type": "heartbeat", "version": 1}
    await socket.close()


async def test_duplicate_and_stale_publishes_reach_the_client_with_their_versions(learner):
    """The server forwards what it is given; the client (status.js) drops duplicates by version."""
    course = await course_factory()
    enrollment = await start(learner.user.pk, course, "audit")
    socket, _ = await connect_dashboard(learner)
    await socket.hello(0)
    active = await activate(enrollment.pk)
    first = await socket.expect("enrollment.updated")
    wire = to_wire(active)
    await database_sync_to_async(publish_item)(learner.user.pk, "enrollment", wire)
    duplicate = await socket.expect("enrollment.updated")
    assert duplicate == first
    await socket.close()


@pytest.mark.parametrize(
    "frame,code",
    [
        ("{not json", "malformed_json"),
        (json.dumps({"type": "subscribe", "group": "learner.1"}), "unknown_type"),
        (json.dumps({"type": "hello", "since": "0"}), "invalid_since"),
        (json.dumps({"type": "hello", "since": -5}), "invalid_since"),
        (json.dumps([1, 2]), "invalid_message"),
        ("x" * 5000, "too_large"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_usable(learner, frame, code):
    socket, _ = await connect_dashboard(learner)
    await socket.connection.send_to(text_data=frame)
    error = await socket.expect("error")
    assert error["code"] == code and error["message"]
    await socket.send({"type": "ping", "id": "still-there"})
    assert (await socket.expect("pong")) == {"type": "pong", "id": "still-there"}
    await socket.close()


async def test_binary_frame_gets_an_error(learner):
    socket, _ = await connect_dashboard(learner)
    await socket.connection.send_to(bytes_data=b"\x00\x01")
    assert (await socket.expect("error"))["code"] == "binary_not_supported"
    await socket.close()


async def test_many_sockets_of_one_learner_all_receive(learner):
    course = await course_factory()
    sockets = [(await connect_dashboard(learner))[0] for _ in range(3)]
    for socket in sockets:
        await socket.hello(0)
    await start(learner.user.pk, course, "audit")
    await asyncio.gather(*(s.expect_update(course.key, status="pending") for s in sockets))
    for socket in sockets:
        await socket.close()


@pytest.mark.any_database  # Redis's read timeout, whatever the database
async def test_an_idle_socket_keeps_receiving_past_the_redis_read_timeout(learner):
    """redis-py 8's default 5 s read timeout once cut idle sockets every ~5 s."""
    course = await course_factory()
    socket, _ = await connect_dashboard(learner)
    await socket.hello(0)
    await socket.expect_silence(within=7)
    await database_sync_to_async(enrollments.start)(learner.user.pk, course, "audit")
    await socket.expect_update(course.key, status="pending")
    await socket.close()


async def test_a_delivery_is_logged_with_the_request_and_order_that_caused_it(learner, caplog):
    import logging

    from config.logcontext import order_context, request_context

    caplog.set_level(logging.DEBUG, logger="realtime.consumers")  # LOG_LEVEL=DEBUG: per-frame lines

    course = await course_factory()
    socket, _ = await connect_dashboard(learner)
    await socket.hello(0, protocol=2)
    tokens = request_context.set("req-delivery"), order_context.set("LP-DELIVERY")
    try:
        await start(learner.user.pk, course, "audit")
    finally:
        request_context.reset(tokens[0])
        order_context.reset(tokens[1])
    await socket.expect("item.updated")
    delivered = [r for r in caplog.records if r.getMessage().startswith("delivered enrollment")]
    assert delivered and (delivered[0].request_id, delivered[0].order) == ("req-delivery", "LP-DELIVERY")
    await socket.close()


def test_a_catch_up_with_nothing_new_reads_only_the_clock(learner, django_assert_max_num_queries):
    enrollments.start(learner.user.pk, make_course(), "audit")  # version 1
    with django_assert_max_num_queries(1):
        snapshot = items.changed_since(learner.user.pk, 1)
    assert (snapshot.version, snapshot.items) == (1, [])
    assert len(items.changed_since(learner.user.pk, 0).items) == 1
    with django_assert_max_num_queries(0):  # the caller read the version (items.read_changes)
        assert items.changed_since(learner.user.pk, 1, version=1).items == []


async def test_hellos_at_the_same_moment_read_their_versions_together(make_learner, monkeypatch):
    """A reconnect storm's catch-ups: one read of the clock for the sockets waiting together; a
    socket whose learner changed something since its page's version still gets the change."""
    learners = [await database_sync_to_async(make_learner)() for _ in range(10)]
    course = await course_factory()
    await start(learners[0].user.pk, course, "audit")  # version 1 for the first learner only
    sockets = [(await connect_dashboard(learner))[0] for learner in learners]
    batches = recorded_batches(monkeypatch, items._versions)
    for socket in sockets:
        await socket.send({"type": "hello", "since": 0})
    catchups = [await socket.expect("catchup") for socket in sockets]
    assert batches == [sorted(learner.user.pk for learner in learners)]
    assert [catchup["version"] for catchup in catchups] == [1] + [0] * 9
    assert [e["status"] for e in catchups[0]["enrollments"]] == ["pending"]
    assert all(catchup["enrollments"] == [] for catchup in catchups[1:])
    for socket in sockets:
        await socket.close()
