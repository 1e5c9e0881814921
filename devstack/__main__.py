"""``python -m devstack run`` starts the demo; ``python -m devstack test`` runs every test.

Both use the Redis at REDIS_URL when one answers, and otherwise start a
private one on a free port (stopped again on exit).
"""
import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from devstack.processes import (
    ROOT,
    Process,
    StackError,
    ensure_redis,
    free_port,
    manage,
    port_open,
    start_daphne,
    start_worker,
)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
LOG_DIR = ROOT / "var" / "log"


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


def run_demo(port: int) -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    redis_url, redis_process = ensure_redis(env.get("REDIS_URL", DEFAULT_REDIS_URL), LOG_DIR)
    env["REDIS_URL"] = redis_url
    if redis_process:
        print(f"No Redis answered; started one at {redis_url}")
    if port_open("127.0.0.1", port):
        port = free_port()
    started: list[Process] = [p for p in [redis_process] if p]
    stop = threading.Event()
    try:
        manage(["migrate", "--noinput", "-v", "0"], env)
        manage(["seed_demo"], env)
        for p in (LOG_DIR / "daphne.log", LOG_DIR / "worker.log"):
            p.unlink(missing_ok=True)
        started.append(start_daphne(port, env, LOG_DIR, name="daphne"))
        started.append(start_worker(env, LOG_DIR, name="worker"))
        print(
            f"\n  Learner dashboard demo is up: http://127.0.0.1:{port}/dashboard/\n"
            "  Log in as learner / learner-demo, enroll in a course and watch the tile go live.\n"
            f"  Redis: {redis_url}   Logs: {LOG_DIR}\n  Press Ctrl-C to stop.\n",
            flush=True,
        )
        threading.Thread(target=follow, args=(started[-2:], stop), daemon=True).start()
        while all(p.alive() for p in started):
            time.sleep(0.5)
        dead = [p.name for p in started if not p.alive()]
        print(f"\nStopped because {', '.join(dead)} exited; see {LOG_DIR}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        stop.set()
        for p in reversed(started):
            p.stop()


def run_tests(pytest_args: list[str]) -> int:
    env = dict(os.environ)
    redis_url, redis_process = ensure_redis(env.get("REDIS_URL", DEFAULT_REDIS_URL), LOG_DIR)
    run_id = uuid.uuid4().hex[:8]
    env.update(
        REDIS_URL=redis_url,
        # Our own keys and queue on a shared Redis: a demo or another run
        # on the same machine never sees this run's events or tasks.
        CHANNEL_LAYER_PREFIX=f"test-{run_id}",
        CELERY_QUEUE=f"test-fulfillment-{run_id}",
    )
    try:
        node = subprocess.call(["node", "--test", "frontend/tests/"], cwd=ROOT, env=env)
        python = subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=env)
    finally:
        if redis_process:
            redis_process.stop()
    return python or node


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start Redis (if needed), Daphne and a Celery worker for the demo")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    test = sub.add_parser("test", help="run the frontend and Python test suites")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    try:
        if args.command == "run":
            return run_demo(args.port)
        return run_tests(args.pytest_args)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
