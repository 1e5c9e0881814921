"""Hostile WebSocket clients against a running Daphne: random frames, a client that never reads,
a client that vanishes without closing. The server stays up, bounded, and without a traceback."""
import asyncio
import base64
import json
import os
import socket

import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import enrollments
from dashboard.tests.factories import make_course
from devstack.processes import wait_until
from realtime.testing import CONTRACT

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]

frames = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
                 max_leaves=10).map(json.dumps),
)


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/ws/dashboard/"


def assert_clean(stack) -> None:
    log = stack.daphne.log_text()
    assert "Traceback" not in log, log[-3000:]


def test_random_frames_get_documented_answers_and_the_socket_survives(start_stack, learner):
    stack = start_stack(workers=0, REALTIME_CLIENT_MESSAGES_PER_SECOND="100000", REALTIME_CLIENT_MESSAGE_BURST="100000")
    answered: list[dict] = []

    @given(batch=st.lists(frames, min_size=1, max_size=8))
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    def one_connection(batch):
        async def run():
            headers = {"Cookie": learner.cookie_header}
            async with websockets.connect(ws_url(stack.url), origin=stack.url, additional_headers=headers) as ws:
                for frame in batch:
                    await ws.send(frame)
                    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    while message["type"] == "heartbeat":
                        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    CONTRACT.validate_server_message(message)
                    answered.append(message)
                await ws.send(json.dumps({"type": "ping", "id": "alive"}))
                while (reply := json.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] == "heartbeat":
                    pass
                assert reply == {"type": "pong", "id": "alive"}

        asyncio.run(run())

    one_connection()
    assert {m["type"] for m in answered} <= {"catchup", "pong", "error"}
    assert_clean(stack)


def test_a_client_that_never_reads_is_dropped_before_the_server_buffers_much(start_stack, learner):
    """It asks for big catch-ups and reads nothing: the kernel's buffers fill, then the server's
    own, and at REALTIME_MAX_BUFFERED_BYTES the server drops it (the others are unaffected)."""
    for n in range(150):
        enrollments.start(learner.user.pk, make_course(title=f"A rather long course title, number {n:03d}"), "audit")
    stack = start_stack(workers=0, REALTIME_CLIENT_MESSAGES_PER_SECOND="100000", REALTIME_CLIENT_MESSAGE_BURST="100000",
                        REALTIME_MAX_BUFFERED_BYTES="262144")

    async def run() -> bool:
        headers = {"Cookie": learner.cookie_header}
        # max_queue=1: the client library stops reading the socket once one message waits.
        async with websockets.connect(ws_url(stack.url), origin=stack.url, additional_headers=headers,
                                      max_queue=1) as ws:
            sock = ws.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            hello = json.dumps({"type": "hello", "since": 0})
            try:
                for _ in range(3000):  # about 40 KiB each: far more than every buffer on the way
                    await ws.send(hello)
                # The server works through the catch-ups at its own pace (slower on PostgreSQL):
                # wait for it to fill the buffers and drop us, without reading.
                for _ in range(240):
                    if "does not read" in stack.daphne.log_text():
                        return True
                    await asyncio.sleep(0.5)
            except websockets.ConnectionClosed:
                return True
            return "does not read" in stack.daphne.log_text()

    assert asyncio.run(run()), "the server never dropped the client that does not read"
    wait_until(lambda: "dropping a socket that does not read" in stack.daphne.log_text(), 10, "the drop to be logged")
    assert_clean(stack)


def test_a_client_that_vanishes_without_closing_is_dropped_by_the_ping(start_stack, learner, settings):
    """A raw TCP client does the upgrade, then never reads or answers a ping (a half-open connection)."""
    from realtime import presence

    stack = start_stack(workers=0, REALTIME_PING_INTERVAL_SECONDS="1", REALTIME_PING_TIMEOUT_SECONDS="2")
    host, port = "127.0.0.1", stack.port
    raw = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall((f"GET /ws/dashboard/ HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {stack.url}\r\n"
                 f"Cookie: {learner.cookie_header}\r\n\r\n").encode())
    assert b"101" in raw.recv(1024).split(b"\r\n")[0]
    wait_until(lambda: len(presence.sockets_of(learner.user.pk)) == 1, 10, "the socket to be present")
    wait_until(lambda: not presence.sockets_of(learner.user.pk), 20, "the silent socket to be dropped")
    raw.close()
    assert_clean(stack)
