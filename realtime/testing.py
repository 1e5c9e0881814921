"""Test helpers for the push path: a pytest plugin (loaded by the root conftest).

Fixtures (``learner`` and ``make_learner`` come from devstack.testing)
    dashboard          (async) ``learner``'s dashboard socket, connected and caught up,
                       in-process through the WebSocket application on the real Redis layer
    live_dashboard     (async) the same over a real WebSocket to ``live_server_url``
                       (devstack.testing)

Sockets
    ``connect_dashboard(learner)`` gives an in-process DashboardSocket on the real
    Redis channel layer; ``connect_live_dashboard(url, learner)`` one over a real
    TCP WebSocket to a running server. Both offer ``hello``, ``receive`` and
    ``expect_update(course_id, status="active", within=5)``, whose failure
    message lists what arrived instead.
"""
import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings

from realtime import protocol
from realtime.asyncapi import validate_server_message


@dataclass
class Learner:
    user: Any
    password: str
    session_key: str

    @property
    def cookie_header(self) -> str:
        return f"{settings.SESSION_COOKIE_NAME}={self.session_key}"


@pytest.fixture
async def dashboard(learner):
    socket, refused = await connect_dashboard(learner)
    assert socket is not None, f"the dashboard socket was refused ({refused})"
    await socket.hello(0)
    yield socket
    await socket.close()


@pytest.fixture
async def live_dashboard(live_server_url, learner):
    socket = await connect_live_dashboard(live_server_url, learner)
    await socket.hello(0)
    yield socket
    await socket.close()


class DashboardSocket:
    """One dashboard socket seen from the client side, with helpers to wait for messages."""

    def __init__(self, send_text, receive_text, close) -> None:
        self._send_text = send_text
        self._receive_text = receive_text
        self._close = close
        self.received: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self._send_text(json.dumps(message))

    async def hello(self, since: int = 0, protocol: int | None = None) -> dict[str, Any]:
        """Say hello (protocol 1, the enrollment-only one, unless ``protocol`` names another)."""
        await self.send({"type": "hello", "since": since, **({"protocol": protocol} if protocol else {})})
        return await self.expect("catchup")

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        """The next message; every one is checked against docs/asyncapi.yaml."""
        message = json.loads(await asyncio.wait_for(self._receive_text(), timeout))
        self.received.append(message)
        validate_server_message(message)
        return message

    async def expect(self, type_: str, within: float = 5) -> dict[str, Any]:
        """The next message of ``type_``; others are kept in ``received``."""
        return await self.first(
            lambda message: message if message["type"] == type_ else None,
            within,
            f"no {type_!r} message within {within}s",
        )

    async def expect_update(self, course_id: str, status: str = "active", within: float = 5) -> dict[str, Any]:
        """Wait until an enrollment.updated (or catch-up) shows ``course_id`` in ``status``."""

        def match(message: dict[str, Any]) -> dict[str, Any] | None:
            return next(
                (e for e in _enrollments_in(message) if e["course_id"] == course_id and e["status"] == status),
                None,
            )

        return await self.first(match, within, f"{course_id} did not become {status!r} within {within}s")

    async def first(self, match, within: float, failure: str) -> dict[str, Any]:
        """Receive until ``match(message)`` returns something; fail listing what arrived."""
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await self.receive(timeout=left)
            except asyncio.TimeoutError:
                break
            if (found := match(message)) is not None:
                return found
        raise AssertionError(f"{failure}; received: {self._summary()}")

    async def expect_silence(self, within: float = 1) -> None:
        try:
            message = await self.receive(timeout=within)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"expected no message, got {message}")

    async def close(self) -> None:
        await self._close()

    def _summary(self) -> str:
        return json.dumps(self.received[-20:], indent=1) if self.received else "nothing"


def _enrollments_in(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["item"] for entry in protocol.items_in(message) if entry["kind"] == "enrollment"]


async def connect_dashboard(learner: Learner | None, origin: str = "http://localhost"):
    """An in-process socket through the WebSocket application asgi.py serves (real auth, real Redis layer).

    Returns ``(socket, None)`` when accepted, ``(None, close_code)`` when refused.
    """
    from channels.testing import WebsocketCommunicator

    from realtime.routing import websocket_application

    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if learner is not None:
        headers.append((b"cookie", learner.cookie_header.encode()))
    communicator = WebsocketCommunicator(websocket_application(), "/ws/dashboard/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    if not connected:
        return None, _
    socket = DashboardSocket(communicator.send_to, lambda: communicator.receive_from(timeout=3600), communicator.disconnect)
    socket.communicator = communicator
    return socket, None


async def connect_live_dashboard(base_url: str, learner: Learner) -> DashboardSocket:
    """A real TCP WebSocket to a running server, logged in as ``learner``."""
    import websockets

    ws_url = base_url.replace("http://", "ws://") + "/ws/dashboard/"
    connection = await websockets.connect(
        ws_url, origin=base_url, additional_headers={"Cookie": learner.cookie_header}
    )
    socket = DashboardSocket(connection.send, connection.recv, connection.close)
    socket.connection = connection
    return socket
