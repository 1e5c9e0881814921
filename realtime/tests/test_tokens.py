"""Connection tokens for clients without a browser session."""
import asyncio
import json

import pytest
import websockets
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from asgi import application
from realtime import protocol, tokens

pytestmark = pytest.mark.django_db(transaction=True)


async def connect_with_token(token: str):
    communicator = WebsocketCommunicator(
        application, "/ws/dashboard/", headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
        subprotocols=[tokens.SUBPROTOCOL, tokens.TOKEN_PREFIX + token],
    )
    connected, subprotocol = await communicator.connect(timeout=5)
    assert connected
    return communicator, subprotocol


async def test_a_valid_token_authenticates_without_a_cookie(learner):
    token = await database_sync_to_async(tokens.issue)(learner.user)
    communicator, subprotocol = await connect_with_token(token)
    assert subprotocol == tokens.SUBPROTOCOL
    await communicator.send_to(text_data=json.dumps({"type": "hello", "since": 0}))
    assert json.loads(await communicator.receive_from(timeout=5))["type"] == "catchup"
    await communicator.disconnect()


@pytest.mark.parametrize("case", ["expired", "tampered", "password_changed"])
async def test_a_refused_token_is_told_and_closed_4401(learner, settings, case):
    token = await database_sync_to_async(tokens.issue)(learner.user)
    expected = "token_invalid"
    if case == "expired":
        settings.REALTIME_TOKEN_SECONDS = -1
        expected = "token_expired"
    elif case == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        learner.user.set_password("a-new-password-123")
        await database_sync_to_async(learner.user.save)()
    communicator, _ = await connect_with_token(token)
    error = json.loads(await communicator.receive_from(timeout=5))
    assert error["type"] == "error" and error["code"] == expected
    closed = await communicator.receive_output(timeout=5)
    assert closed["type"] == "websocket.close" and closed["code"] == protocol.UNAUTHENTICATED.code


def test_the_token_endpoint_needs_a_login(user_client):
    from django.test import Client

    assert Client().post("/api/v1/realtime/token/").status_code == 403
    body = user_client.post("/api/v1/realtime/token/").json()
    assert body["expires_in"] == 60 and body["subprotocols"] == [tokens.SUBPROTOCOL, "token." + body["token"]]
    assert tokens.verify(body["token"])[0] == user_client.user.pk


def test_a_token_client_on_the_real_server(live_server_url, learner):
    token = tokens.issue(learner.user)

    async def run():
        async with websockets.connect(
            live_server_url.replace("http", "ws") + "/ws/dashboard/", origin=live_server_url,
            subprotocols=[tokens.SUBPROTOCOL, tokens.TOKEN_PREFIX + token],
        ) as socket:
            assert socket.subprotocol == tokens.SUBPROTOCOL
            await socket.send(json.dumps({"type": "hello", "since": 0}))
            return json.loads(await asyncio.wait_for(socket.recv(), 5))

    assert asyncio.run(run())["type"] == "catchup"
