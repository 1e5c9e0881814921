"""``python -m devstack run`` starts the demo; ``python -m devstack test`` runs every test.

Both use the Redis at REDIS_URL when one answers, and otherwise start a
private one on a free port (stopped again on exit).
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from devstack import DEMO_EVENTS_TOKEN
from devstack.node import Node, start_node
from devstack.processes import (
    ROOT,
    Process,
    StackError,
    amqp_answers,
    ensure_redis,
    free_port,
    manage,
    port_open,
    postgres_answers,
)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
LOG_DIR = ROOT / "var" / "log"
POSTGRES_PASS_LOG = LOG_DIR / "test-postgres-pass.log"


def follow(processes: list[Process], stop: threading.Event) -> None:
    """Print the processes' new log lines, prefixed with their names."""
    offsets = {p.name: 0 for p in processes}
    while not stop.is_set():
        for p in processes:
            text = p.log_text()
            new, offsets[p.name] = text[offsets[p.name]:], len(text)
            for line in new.splitlines():
                print(f"{p.name:>7} | {line}", flush=True)
        stop.wait(0.3)


def interrupt_on_signals() -> None:
    """Make Ctrl-C, SIGTERM and SIGHUP stop the demo, children included.

    SIGINT too: a process started with it ignored (a background job of a shell script is)
    would otherwise never see Ctrl-C or ``kill -INT`` as a KeyboardInterrupt.
    """

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def describe(node: Node) -> str:
    if node.layout == "daphne":
        return "one Daphne serves pages, the API and the sockets"
    return (f"nginx on the port; /ws/ to {len(node.socket_servers())} Daphne processes, "
            "pages and the API to gunicorn")


def run_demo(port: int) -> int:
    interrupt_on_signals()
    if port_open("127.0.0.1", port):
        print(f"Port {port} is taken ({port_holder(port)}). Stop what holds it, or choose another port: "
              f"PORT={free_port()} make run", file=sys.stderr)
        return 1
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    env.setdefault("EVENTS_SERVICE_TOKENS", f"demo-partner={DEMO_EVENTS_TOKEN}")
    # Ctrl-C drains the socket servers like a deploy would, over 2 s instead of 10.
    env.setdefault("REALTIME_DRAIN_SECONDS", "2")
    # Daphne's /metrics then shows the worker's samples too.
    metrics_dir = ROOT / "var" / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    redis_url, redis_process = ensure_redis(env.get("REDIS_URL", DEFAULT_REDIS_URL), LOG_DIR)
    env["REDIS_URL"] = redis_url
    if redis_process:
        print(f"No Redis answered; started one at {redis_url}")
    started: list[Process] = [p for p in [redis_process] if p]
    node: Node | None = None
    stop = threading.Event()
    try:
        manage(["migrate", "--noinput", "-v", "0"], env)
        manage(["seed_demo"], env)
        for log in LOG_DIR.glob("node-*.log"):
            log.unlink()
        node = start_node(port, env, LOG_DIR, workers=1)
        started.extend(node.processes)
        print(
            f"\n  Learner dashboard demo is up: http://127.0.0.1:{port}/dashboard/\n"
            "  Log in as learner / learner-demo, enroll in a course and watch the tile go live.\n"
            f"  Events API service tokens (name=token): {env['EVENTS_SERVICE_TOKENS']}\n"
            f"  Layout: {describe(node)}\n"
            f"  Redis: {redis_url}   Logs: {LOG_DIR}\n  Press Ctrl-C to stop.\n",
            flush=True,
        )
        threading.Thread(target=follow, args=(node.processes, stop), daemon=True).start()
        while all(p.alive() for p in started):
            time.sleep(0.5)
        dead = [p.name for p in started if not p.alive()]
        print(f"\nStopped because {', '.join(dead)} exited; see {LOG_DIR}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)  # at once: the stopping below can take seconds
        return 0
    finally:
        # A second Ctrl-C (or a SIGTERM that reached us and make both) must not cut the
        # stopping short and leave a server holding the port: every child is stopped.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        stop.set()
        if node:
            node.stop()
        if redis_process:
            redis_process.stop()
        print("Stopped.", flush=True)


def port_holder(port: int) -> str:
    """What listens on the port, as ``ss`` tells it (a process name and pid), or that we could not tell."""
    try:
        out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "by a process this user cannot see"
    found = re.findall(r'\("([^"]+)",pid=(\d+)', out)
    return ", ".join(f"{name}, pid {pid}" for name, pid in found) or "by a process this user cannot see"


# Checked before the tests: lint and import order, types (pyproject.toml configures both), and
# known vulnerabilities in the locked dependencies (devstack/audit.py).
CHECKS = [
    ("ruff (lint, import order)", ["ruff", "check", "."]),
    ("mypy (types)", ["mypy", "."]),
    ("dependency audit (pip-audit over uv.lock)", ["python", "-m", "devstack.audit"]),
]


def run_tests(pytest_args: list[str]) -> int:
    env = dict(os.environ)
    redis_url, redis_process = ensure_redis(env.get("REDIS_URL", DEFAULT_REDIS_URL), LOG_DIR)
    env["REDIS_URL"] = redis_url
    rabbitmq = env.setdefault("TEST_RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
    if not amqp_answers(rabbitmq):
        print(f"note: no RabbitMQ answers at {rabbitmq}; its broker test will be skipped.", flush=True)
    postgres = env.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    second_pass = "DATABASE_URL" not in env and postgres_answers(postgres)
    tools = Path(sys.executable).parent
    postgres_pass: subprocess.Popen | None = None
    try:
        results = []
        for title, command in CHECKS:
            print(f"\n== {title} ==", flush=True)
            results.append(subprocess.call([str(tools / command[0]), *command[1:]], cwd=ROOT, env=env))
        print("\n== Frontend unit tests ==", flush=True)
        results.append(subprocess.call(["node", "--test", "frontend/tests/"], cwd=ROOT, env=env))
        if second_pass:
            # Most of a pass waits on servers, workers and browsers, so the PostgreSQL pass runs
            # alongside the SQLite one (its output is shown when it ends). What does not depend
            # on the database runs once: in the SQLite pass, except the long tests marked
            # postgres_pass, which even out the two passes (the run ends with the longer one).
            again = [*pytest_args, "-m", "not any_database"] if "-m" not in pytest_args else pytest_args
            # Its own folder for failure traces: pytest-playwright empties the folder it writes to.
            again += ["--output", "test-artifacts/playwright-postgres"]
            LOG_DIR.mkdir(parents=True, exist_ok=True)
            with POSTGRES_PASS_LOG.open("w") as log:
                postgres_pass = subprocess.Popen([sys.executable, "-m", "pytest", *again], cwd=ROOT, stdout=log,
                                                 stderr=subprocess.STDOUT, env={**pass_env(env), "DATABASE_URL": postgres})
            print(f"\n(the PostgreSQL pass runs alongside, on {postgres}; its output follows the SQLite pass's)")
        elif "DATABASE_URL" not in env:
            print(f"note: no PostgreSQL answers at {postgres}; the PostgreSQL pass did not run.", flush=True)
        print(f"\n== Python suite on {env.get('DATABASE_URL', 'SQLite (the default)')} ==", flush=True)
        first = [*pytest_args, "-m", "not postgres_pass"] if postgres_pass and "-m" not in pytest_args else pytest_args
        results.append(subprocess.call([sys.executable, "-m", "pytest", *first], cwd=ROOT, env=pass_env(env)))
        if postgres_pass:
            print(f"\n== Python suite again on PostgreSQL ({postgres}) ==", flush=True)
            results.append(postgres_pass.wait())
            print(POSTGRES_PASS_LOG.read_text(errors="replace"), flush=True)
    finally:
        if postgres_pass and postgres_pass.poll() is None:
            postgres_pass.terminate()
            postgres_pass.wait(60)
        if redis_process:
            redis_process.stop()
    return next((code for code in results if code), 0)


def pass_env(env: dict[str, str]) -> dict[str, str]:
    """A pass's own keys and queue on the shared Redis: another pass, a demo or another run
    on the same machine never sees its events, tasks or counters."""
    run_id = uuid.uuid4().hex[:8]
    return {**env, "CHANNEL_LAYER_PREFIX": f"test-{run_id}", "CELERY_QUEUE": f"test-fulfillment-{run_id}"}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start Redis (if needed), Daphne and a Celery worker for the demo")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    sub.add_parser("test", help="run the frontend and Python test suites; other arguments go to pytest")
    args, pytest_args = parser.parse_known_args()
    if pytest_args and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(pytest_args)}")
    try:
        if args.command == "run":
            return run_demo(args.port)
        return run_tests(pytest_args)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
