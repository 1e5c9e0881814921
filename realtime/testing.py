"""Test helpers for the live dashboard: a pytest plugin (loaded by the root conftest).

Fixtures
    stack_env          environment for child processes: the test database, Redis, queue
    worker             a real Celery worker process on the test database (session-wide)
    start_worker       start another worker with extra settings, stopped after the test
    live_server_url    a real node as `make run` starts one: nginx, gunicorn, two Daphne
                       processes serving asgi:application (session-wide)
    learner            a learner with a password and a logged-in session (needs a
                       transactional database: ``@pytest.mark.django_db(transaction=True)``)
    make_learner       the same, as a factory, for tests with several learners
    dashboard          (async) ``learner``'s dashboard socket, connected and caught up,
                       in-process through asgi.application on the real Redis layer
    live_dashboard     (async) the same over a real WebSocket to ``live_server_url``
    start_stack        processes of the test's own (Daphne, workers, a private Redis)

Sockets
    ``connect_dashboard(learner)`` gives an in-process DashboardSocket on the real
    Redis channel layer; ``connect_live_dashboard(url, learner)`` one over a real
    TCP WebSocket to a running server. Both offer ``hello``, ``receive`` and
    ``expect_update(course_id, status="active", within=5)``, whose failure
    message lists what arrived instead.
"""
import asyncio
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from config.settings import channel_layer_host

from realtime.asyncapi import validate_server_message
from devstack.node import start_node
from devstack.processes import ROOT, Process, free_port, start_daphne, start_redis, start_worker

LOG_DIR = ROOT / "var" / "log" / "tests"


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the test one, in tests)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def stack_env(django_db_setup, django_db_blocker) -> dict[str, str]:
    from django.db import connection

    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=settings.REDIS_URL,
        CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        CELERY_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
        FULFILLMENT_DELAY_SECONDS="1.5",  # long enough to see a pending tile
        FULFILLMENT_FAILURE_RATE="0",
        FULFILLMENT_RETRY_BACKOFF_SECONDS="0.2",
        # Workers that outlive a test keep their relay off: it would sweep
        # other tests' orders into their queue. A test's own stack turns it on.
        FULFILLMENT_RELAY_SECONDS="0",
        REALTIME_HEARTBEAT_SECONDS="2",
        REALTIME_DRAIN_SECONDS="1",  # every test stops its servers; the drain test sets its own
        DJANGO_DEBUG="0",
        PYTHONUNBUFFERED="1",
        EVENTS_SERVICE_TOKENS="qa-fulfiller=qa-service-token",
        EVENTS_SIGNING_KEY="qa-signing-key",
    )
    return env


@pytest.fixture(scope="session")
def worker(stack_env: dict[str, str]) -> Iterator[Process]:
    process = start_worker(stack_env, LOG_DIR, name=f"worker-{uuid.uuid4().hex[:6]}")
    yield process
    process.stop()


@pytest.fixture
def start_worker_with(stack_env: dict[str, str], settings):
    """``start_worker_with(FULFILLMENT_FAILURE_RATE="1")``: a worker with changed settings.

    It listens on a queue of its own, and this test's orders go to that queue,
    so the session-wide ``worker`` never takes them.
    """
    started: list[Process] = []
    queue = f"{stack_env['CELERY_QUEUE']}-{uuid.uuid4().hex[:6]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue

    def start(**overrides: str) -> Process:
        env = {**stack_env, "CELERY_QUEUE": queue, **overrides}
        process = start_worker(env, LOG_DIR, name=f"worker-{uuid.uuid4().hex[:6]}")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@dataclass
class Stack:
    """Processes a test owns: a Daphne, workers and, if asked, a Redis of its own."""

    url: str
    port: int
    env: dict[str, str]
    daphne: Process
    workers: list[Process]
    redis: Process | None

    def restart_daphne(self) -> None:
        self.daphne.kill()
        self.daphne = start_daphne(self.port, self.env, LOG_DIR, name=f"daphne-{self.port}")

    def add_worker(self, **overrides: str) -> Process:
        worker = start_worker({**self.env, **overrides}, LOG_DIR, name=f"worker-{uuid.uuid4().hex[:6]}")
        self.workers.append(worker)
        return worker

    def processes(self) -> list[Process]:
        return [self.daphne, *self.workers, *([self.redis] if self.redis else [])]


@pytest.fixture
def start_stack(stack_env: dict[str, str], settings):
    """``start_stack(workers=2, private_redis=True, FULFILLMENT_FAILURE_RATE="0.2")``.

    Its queue is its own, and so is its Redis when ``private_redis`` (the
    channel layer and the broker; this test process's channel layer follows).
    Everything is stopped after the test.
    """
    stacks: list[Stack] = []

    def start(workers: int = 1, private_redis: bool = False, **overrides: str) -> Stack:
        queue = f"{stack_env['CELERY_QUEUE']}-{uuid.uuid4().hex[:6]}"
        env = {**stack_env, "CELERY_QUEUE": queue, "FULFILLMENT_RELAY_SECONDS": "1", **overrides}
        settings.CELERY_TASK_DEFAULT_QUEUE = queue
        redis_process = None
        if private_redis:
            redis_process = start_redis(free_port(), LOG_DIR)
            env["REDIS_URL"] = env["CELERY_BROKER_URL"] = redis_process.extra["url"]
            layer = {**settings.CHANNEL_LAYERS["default"]}
            layer["CONFIG"] = {**layer["CONFIG"], "hosts": [channel_layer_host(redis_process.extra["url"])]}
            settings.CHANNEL_LAYERS = {"default": layer}
        port = free_port()
        stack = Stack(f"http://127.0.0.1:{port}", port, env, None, [], redis_process)
        stacks.append(stack)
        stack.daphne = start_daphne(port, env, LOG_DIR, name=f"daphne-{port}")
        for _ in range(workers):
            stack.workers.append(start_worker(env, LOG_DIR, name=f"worker-{uuid.uuid4().hex[:6]}"))
        return stack

    yield start
    for stack in stacks:
        for process in stack.processes():
            process.stop()


@pytest.fixture(scope="session")
def live_server_url(stack_env: dict[str, str]) -> Iterator[str]:
    """A node as `make run` starts one (nginx, gunicorn, two Daphne processes): the browser tests' server."""
    node = start_node(free_port(), stack_env, LOG_DIR, name=f"node-{uuid.uuid4().hex[:6]}")
    yield node.url
    node.stop()


@dataclass
class Learner:
    user: Any
    password: str
    session_key: str

    @property
    def cookie_header(self) -> str:
        return f"{settings.SESSION_COOKIE_NAME}={self.session_key}"


@pytest.fixture
def make_learner(db):
    from django.contrib.auth import get_user_model
    from django.test import Client

    def make(username: str | None = None) -> Learner:
        username = username or f"learner-{uuid.uuid4().hex[:8]}"
        password = "correct-horse-battery"
        user = get_user_model().objects.create_user(username=username, password=password)
        client = Client()
        client.force_login(user)
        return Learner(user, password, client.cookies[settings.SESSION_COOKIE_NAME].value)

    return make


@pytest.fixture
def learner(make_learner) -> Learner:
    return make_learner()


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

    async def hello(self, since: int = 0) -> dict[str, Any]:
        await self.send({"type": "hello", "since": since})
        return await self.expect("catchup")

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        """The next message; every one is checked against docs/asyncapi.yaml."""
        message = json.loads(await asyncio.wait_for(self._receive_text(), timeout))
        self.received.append(message)
        validate_server_message(message)
        return message

    async def expect(self, type_: str, within: float = 5) -> dict[str, Any]:
        """The next message of ``type_``; others are kept in ``received``."""
        return await self._first(
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

        return await self._first(match, within, f"{course_id} did not become {status!r} within {within}s")

    async def _first(self, match, within: float, failure: str) -> dict[str, Any]:
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
    if message["type"] == "enrollment.updated":
        return [message["enrollment"]]
    if message["type"] == "catchup":
        return message["enrollments"]
    return []


async def connect_dashboard(learner: Learner | None, origin: str = "http://localhost"):
    """An in-process socket through asgi.application (real auth, real Redis layer).

    Returns ``(socket, None)`` when accepted, ``(None, close_code)`` when refused.
    """
    from channels.testing import WebsocketCommunicator

    from asgi import application

    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if learner is not None:
        headers.append((b"cookie", learner.cookie_header.encode()))
    communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
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


def http_json(method: str, url: str, learner: Learner | None = None, body: Any = None) -> tuple[int, Any]:
    """One JSON request to a running server as ``learner`` (session cookie and CSRF pair)."""
    import urllib.error
    import urllib.request

    csrf = "t" * 32
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if learner is not None:
        headers["Cookie"] = f"{learner.cookie_header}; {settings.CSRF_COOKIE_NAME}={csrf}"
        headers["X-CSRFToken"] = csrf
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")


def artifacts_dir() -> Path:
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
