"""Attacks that only the real server can answer: handshake origin checks and frame limits."""
import asyncio
import json

import pytest
import websockets

from devstack.processes import MAX_WEBSOCKET_MESSAGE_BYTES

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]


def ws_url(live_server_url: str) -> str:
    return live_server_url.replace("http://", "ws://") + "/ws/dashboard/"


def test_forged_origin_is_refused_at_the_handshake(live_server_url, learner):
    async def attempt():
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(
                ws_url(live_server_url), origin="https://evil.example",
                additional_headers={"Cookie": learner.cookie_header},
            )
        return refused.value.response.status_code

    assert asyncio.run(attempt()) == 403


def test_anonymous_socket_gets_4401_from_the_real_server(live_server_url):
    async def attempt():
        async with websockets.connect(ws_url(live_server_url), origin=live_server_url) as socket:
            error = json.loads(await socket.recv())
            with pytest.raises(websockets.ConnectionClosed):
                await socket.recv()
            return error, socket.close_code

    error, code = asyncio.run(attempt())
    assert error["code"] == "unauthenticated" and code == 4401


def test_oversized_frame_is_cut_off_and_the_server_stays_up(live_server_url, learner):
    async def attempt():
        headers = {"Cookie": learner.cookie_header}
        async with websockets.connect(
            ws_url(live_server_url), origin=live_server_url, additional_headers=headers, max_size=None
        ) as socket:
            await socket.send("x" * (MAX_WEBSOCKET_MESSAGE_BYTES + 1024))
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 10)
            big_code = socket.close_code
        async with websockets.connect(ws_url(live_server_url), origin=live_server_url, additional_headers=headers) as socket:
            await socket.send(json.dumps({"type": "ping", "id": "after"}))
            return big_code, json.loads(await asyncio.wait_for(socket.recv(), 10))

    code, pong = asyncio.run(attempt())
    # Autobahn fails the connection at once: the client sees 1009 if the close
    # frame reaches it before the TCP reset, 1006 otherwise.
    assert code in (1006, 1009)
    assert pong == {"type": "pong", "id": "after"}
