"""Processes for tests: a pytest plugin (loaded by the root conftest).

Fixtures
    learner            a learner with a password and a logged-in session (realtime.testing.Learner)
    make_learner       the same, as a factory, for tests with several learners
    stack_env          environment for child processes: the test database, Redis, queue
    worker             a real Celery worker process on the test database (session-wide)
    start_worker_with  start another worker with extra settings, stopped after the test
    start_stack        processes of the test's own (Daphne, workers, a private Redis)
    live_server_url    a real node as `make run` starts one: nginx, gunicorn, two Daphne
                       processes serving asgi:application (session-wide)
"""
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings

from config.settings import channel_layer_host
from devstack import DEMO_EVENTS_TOKEN
from devstack.node import start_node
from devstack.processes import (
    ROOT,
    Process,
    free_port,
    spawn_daphne,
    spawn_worker,
    start_daphne,
    start_redis,
    start_worker,
    stop_all,
    wait_all,
)
from realtime.testing import Learner

LOG_DIR = ROOT / "var" / "log" / "tests"


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the test one, in tests)."""
    if "sqlite" in settings_dict["ENGINE"]:
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def make_learner(db):
    """A factory of learners, each with a password and a logged-in session (``Learner``)."""
    from django.test import Client

    from dashboard.tests.factories import PASSWORD, make_user

    def make(username: str | None = None) -> Learner:
        user = make_user(username or f"learner-{uuid.uuid4().hex[:8]}")
        client = Client()
        client.force_login(user)
        return Learner(user, PASSWORD, client.cookies[settings.SESSION_COOKIE_NAME].value)

    return make


@pytest.fixture
def learner(make_learner) -> Learner:
    """A learner with a password and a logged-in session (needs a transactional database:
    ``@pytest.mark.django_db(transaction=True)``)."""
    return make_learner()


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
        FULFILLMENT_MAX_RETRIES="2",
        # A course the simulated platform rejects for the first 3 attempts (every
        # automatic one), then accepts: tests/e2e/test_programs_live.py retries it.
        FULFILLMENT_FAILING_COURSES="course-v1:E2E+FLAKY+2026=3",
        CERTIFICATE_DELAY_SECONDS="1",
        CERTIFICATE_FAILING_COURSES="course-v1:E2E+NOCERT+2026",
        # Workers that outlive a test keep their relay off: it would sweep
        # other tests' orders into their queue. A test's own stack turns it on.
        FULFILLMENT_RELAY_SECONDS="0",
        REALTIME_HEARTBEAT_SECONDS="2",
        REALTIME_DRAIN_SECONDS="1",  # every test stops its servers; the drain test sets its own
        # Every test client connects from 127.0.0.1, hundreds at once in the load and fault tests;
        # the tests of these limits set their own.
        REALTIME_HANDSHAKES_PER_ADDRESS="1000000",
        REALTIME_HANDSHAKES_PER_LEARNER="1000000",
        DJANGO_DEBUG="0",
        PYTHONUNBUFFERED="1",
        EVENTS_SERVICE_TOKENS=f"qa-fulfiller=qa-service-token,demo-partner={DEMO_EVENTS_TOKEN}",
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
    stop_all(started)


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
        starting = [spawn_daphne(port, env, LOG_DIR, name=f"daphne-{port}"),
                    *(spawn_worker(env, LOG_DIR, name=f"worker-{uuid.uuid4().hex[:6]}") for _ in range(workers))]
        try:
            daphne, *worker_processes = wait_all(starting)
        except Exception:
            if redis_process:
                redis_process.stop()
            raise
        stack = Stack(f"http://127.0.0.1:{port}", port, env, daphne, worker_processes, redis_process)
        stacks.append(stack)
        return stack

    yield start
    for stack in stacks:
        # Redis last: the others' shutdowns still reach it.
        stop_all([stack.daphne, *stack.workers])
        if stack.redis:
            stack.redis.stop()


@pytest.fixture(scope="session")
def live_server_url(stack_env: dict[str, str]) -> Iterator[str]:
    """A node as `make run` starts one (nginx, gunicorn, two Daphne processes): the browser tests' server."""
    node = start_node(free_port(), stack_env, LOG_DIR, name=f"node-{uuid.uuid4().hex[:6]}")
    yield node.url
    node.stop()
