"""The benchmark's own stack: a private Redis, a fresh database, servers and workers."""
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

from devstack.node import Node, start_node
from devstack.processes import (
    BIN,
    MAX_WEBSOCKET_MESSAGE_BYTES,
    ROOT,
    Process,
    free_port,
    manage,
    port_open,
    raise_file_limit,
    spawn,
    start_redis,
    start_worker,
    stop_all,
    wait_until,
)

BENCH_DIR = ROOT / "var" / "bench"
PEER_DIR = ROOT / "bench" / "peer"


def bench_env(redis_url: str, database_url: str, **overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_QUEUE=f"bench-{uuid.uuid4().hex[:6]}",
        CHANNEL_LAYER_PREFIX="bench",
        FULFILLMENT_DELAY_SECONDS="0",
        LOG_LEVEL="WARNING",
        DJANGO_DEBUG="0",
        **{name: os.environ.get(name) or secrets.token_urlsafe(50)
           for name in ("DJANGO_SECRET_KEY", "CHANNEL_LAYER_ENCRYPTION_KEY", "PAYMENT_WEBHOOK_SECRET")},
        THROTTLE_CHECKOUT="100000/min",
        REALTIME_MAX_SOCKETS_PER_LEARNER="1000",
        REALTIME_HANDSHAKES_PER_ADDRESS="100000000",  # every simulated dashboard connects from this host
        REALTIME_HANDSHAKES_PER_LEARNER="100000000",
        REALTIME_DRAIN_SECONDS="1",  # a scenario's servers are stopped between steps
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def start_server(
    kind: str, env: dict[str, str], log_dir: Path, app: str = "asgi:application", port: int | None = None
) -> Process:
    """``daphne``, ``uvicorn`` (both ASGI, one process) or ``gunicorn`` (WSGI, 2 workers)."""
    port = port or free_port()
    argv = {
        # Daphne's own command line, with the garbage-collection log (and heap tracing when asked).
        "daphne": [sys.executable, "-m", "bench.instrumented_daphne", "-b", "127.0.0.1", "-p", str(port),
                   "--websocket-max-message-size", str(MAX_WEBSOCKET_MESSAGE_BYTES), app],
        "uvicorn": [str(BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port),
                    "--no-access-log", "--log-level", "warning", "--ws", "websockets",
                    "--ws-max-size", str(MAX_WEBSOCKET_MESSAGE_BYTES)],
        "gunicorn": [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                     "--workers", "2", "--log-level", "warning"],
    }[kind]
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{kind}-{port}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True, preexec_fn=raise_file_limit)
    process = Process(f"{kind}-{port}", popen, log)
    process.extra["url"] = f"http://127.0.0.1:{port}"
    wait_until(lambda: port_open("127.0.0.1", port) or not process.alive(), 30, f"{kind} to listen")
    if not process.alive():
        raise RuntimeError(f"{kind} did not start:\n{process.log_text()[-2000:]}")
    return process


INSTRUMENTED_DAPHNE = [sys.executable, "-m", "bench.instrumented_daphne"]


def standalone(database: str, learners: int, tag: str) -> tuple["BenchStack", list]:
    """A stack with Django set up on its database and ``learners`` signed-in learners, for a script
    run on its own (those kept beside their results in bench/results/) instead of ``python -m bench``."""
    stack = BenchStack(database)
    try:
        os.environ.update(stack.env)
        import django

        django.setup()
        from bench.learners import create_learners

        return stack, create_learners(learners, tag)
    except BaseException:
        stack.close()
        raise


class BenchStack:
    """One private Redis and one database for the whole run; servers and workers per scenario."""

    def __init__(self, database: str = "sqlite") -> None:
        """``database``: ``sqlite`` (a fresh file) or ``postgres`` (a fresh database on BENCH_POSTGRES_URL's server)."""
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        self.log_dir = BENCH_DIR / "logs"
        self.database_kind = database
        self.postgres_admin: str | None = None
        if database == "postgres":
            self.postgres_admin = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
            self.postgres_name = f"bench_{uuid.uuid4().hex[:8]}"
            self._postgres(f'CREATE DATABASE "{self.postgres_name}"')
            database_url = self.postgres_admin.rsplit("/", 1)[0] + f"/{self.postgres_name}"
        else:
            sqlite = BENCH_DIR / "bench.sqlite3"
            for stale in BENCH_DIR.glob("bench.sqlite3*"):
                stale.unlink()
            database_url = f"sqlite:///{sqlite}"
        self.redis = start_redis(free_port(), self.log_dir, ["--maxmemory-policy", "noeviction"])
        self.env = bench_env(self.redis.extra["url"], database_url)
        manage(["migrate", "--noinput", "-v", "0"], self.env)
        self.running: list[Process] = []

    def _postgres(self, statement: str) -> None:
        import psycopg

        assert self.postgres_admin, "only a stack on PostgreSQL runs statements on it"
        with psycopg.connect(self.postgres_admin, autocommit=True) as connection:
            connection.execute(statement)

    def server(
        self, kind: str = "daphne", app: str = "asgi:application", port: int | None = None, **overrides: str
    ) -> Process:
        process = start_server(kind, {**self.env, **overrides}, self.log_dir, app, port)
        self.running.append(process)
        return process

    def node(self, workers: int = 1, **overrides: str) -> Node:
        """A node as `make run` starts it (devstack.node), its Daphne instrumented; NODE_LAYOUT picks the layout."""
        node = start_node(free_port(), {**self.env, **overrides}, self.log_dir, name=f"node-{uuid.uuid4().hex[:6]}",
                          daphne_program=INSTRUMENTED_DAPHNE, workers=workers)
        self.running.extend(node.processes)
        return node

    def stop_node(self, node: Node) -> None:
        node.stop()
        self.running = [p for p in self.running if p not in node.processes]

    def peer(self) -> Process:
        """The Socket.IO peer (bench/peer/server.js) on this stack's Redis; its npm packages installed on first use."""
        from bench.publisher import PEER_CHANNEL

        if not (PEER_DIR / "node_modules").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=PEER_DIR, check=True)
        port = free_port()
        process = spawn(f"socketio-{port}", ["node", str(PEER_DIR / "server.js"), str(port), self.redis.extra["url"],
                                             PEER_CHANNEL], self.env, self.log_dir)
        process.extra["url"] = f"http://127.0.0.1:{port}"
        wait_until(lambda: port_open("127.0.0.1", port) or not process.alive(), 30, "the Socket.IO peer to listen")
        if not process.alive():
            raise RuntimeError(f"the Socket.IO peer did not start:\n{process.log_text()[-2000:]}")
        self.running.append(process)
        return process

    def worker(self, concurrency: int | None = None, **overrides: str) -> Process:
        process = start_worker({**self.env, **overrides}, self.log_dir, name=f"worker-{uuid.uuid4().hex[:6]}",
                               concurrency=concurrency)
        self.running.append(process)
        return process

    def stop(self, process: Process) -> None:
        process.stop()
        if process in self.running:
            self.running.remove(process)

    def close(self) -> None:
        stop_all(self.running)
        self.redis.stop()
        if self.postgres_admin:
            from django.db import connections

            connections.close_all()
            self._postgres(f'DROP DATABASE IF EXISTS "{self.postgres_name}" WITH (FORCE)')
