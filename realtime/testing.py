"""Test helpers for the push path: a pytest plugin (loaded by the root conftest).

The sockets are pytest-learnwell's (``qa/``, the plugin QA engineers install to
test any running server); this module adds what needs the project itself.

Fixtures (``learner`` and ``make_learner`` come from devstack.testing)
    dashboard          (async) ``learner``'s dashboard socket, connected and caught up,
                       in-process through the WebSocket application on the real Redis layer
    live_dashboard     (async) the same over a real WebSocket to ``live_server_url``
                       (devstack.testing)

Sockets
    ``connect_dashboard(learner)`` gives an in-process DashboardSocket on the real
    Redis channel layer; ``connect_live_dashboard(url, learner)`` one over a real
    TCP WebSocket to a running server. Both check every message against
    ``CONTRACT`` (docs/asyncapi.yaml) and offer ``hello``, ``receive`` and
    ``expect_update(course_id, status="active", within=5)``, whose failure
    message lists what arrived instead.

Batches
    ``recorded_batches(monkeypatch, batched)``: the keys of each batch a ``realtime.batches.Batched``
    read reads from then on.

Waiting
    ``await eventually(condition, what)``: devstack.processes.wait_until for async tests,
    polling a plain or async condition until it holds, failing with ``what`` after a deadline.
"""
import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from learnwell_qa import Contract, DashboardSocket, connect

from realtime.batches import Batched

CONTRACT = Contract.from_path(Path(__file__).resolve().parent.parent / "docs" / "asyncapi.yaml")


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
    socket = DashboardSocket(
        communicator.send_to, lambda: communicator.receive_from(timeout=3600), communicator.disconnect, CONTRACT
    )
    socket.connection = communicator
    return socket, None


async def connect_live_dashboard(base_url: str, learner: Learner) -> DashboardSocket:
    """A real TCP WebSocket to a running server, logged in as ``learner``."""
    return await connect(base_url, cookie=learner.cookie_header, contract=CONTRACT)


async def eventually(condition: Callable[[], object], what: str, timeout: float = 5, interval: float = 0.01) -> None:
    """Poll ``condition`` (a function, or one returning an awaitable) until it holds, without blocking the loop."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if asyncio.get_running_loop().time() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(interval)


def recorded_batches(monkeypatch: pytest.MonkeyPatch, batched: Batched) -> list[list]:
    """The keys of each batch ``batched`` reads from now on (realtime.batches), appended as it reads them."""
    batches: list[list] = []
    read_many = batched.read_many

    def recording(keys: list) -> dict:
        batches.append(sorted(keys))
        return read_many(keys)

    monkeypatch.setattr(batched, "read_many", recording)
    return batches
