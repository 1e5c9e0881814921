"""Start, wait for and stop the stack's processes, each in its own process group."""
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
MAX_WEBSOCKET_MESSAGE_BYTES = 64 * 1024
BIN = Path(sys.executable).parent


class StackError(RuntimeError):
    """A process of the stack could not be started; the message says what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll ``condition`` until it holds; raise StackError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise StackError(f"timed out after {timeout:.0f}s waiting for {what}")


@dataclass
class Process:
    """A child process in its own process group, with its output in ``log``."""

    name: str
    popen: subprocess.Popen
    log: Path
    extra: dict = field(default_factory=dict)
    # Where this process's output begins: a process started again under the same name appends to the file.
    log_start: int = 0

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_text(self) -> str:
        """What this process has written (not what an earlier one left in the same file)."""
        if not self.log.exists():
            return ""
        with self.log.open("rb") as log:
            log.seek(self.log_start)
            return log.read().decode(errors="replace")

    def signal(self, sig: int) -> None:
        if self.alive():
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the group, then SIGKILL what is left after ``timeout`` seconds."""
        stop_all([self], lambda _: timeout)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.popen.wait(5)


def stop_all(processes: list[Process], timeout: Callable[[Process], float] = lambda _: 10) -> None:
    """Stop processes together: SIGTERM to every group at once, then SIGKILL what is left of each
    after its ``timeout`` (counted from the SIGTERM), so their shutdowns overlap."""
    for process in processes:
        process.signal(signal.SIGTERM)
    asked = time.monotonic()
    for process in processes:
        try:
            process.popen.wait(max(0.0, asked + timeout(process) - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def raise_file_limit() -> None:
    """As many open files as the hard limit allows: a server holding 10,000 sockets needs them."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def spawn(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> Process:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:
        start = out.tell()
        popen = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=raise_file_limit,
        )
    return Process(name, popen, log, log_start=start)


@dataclass
class Starting:
    """A process spawned and not yet known to be ready: ``wait()`` returns it once ``ready()`` holds.

    Spawning several before waiting for any lets their start-ups (a second or more of
    imports each) overlap; ``wait_all`` waits for such a group.
    """

    process: Process
    ready: Callable[[], bool]
    timeout: float
    what: str

    def wait(self) -> Process:
        def up() -> bool:
            if not self.process.alive():
                raise StackError(f"{self.what} exited at start; its log says:\n{self.process.log_text()[-3000:]}")
            return self.ready()

        try:
            wait_until(up, self.timeout, self.what)
        except StackError:
            self.process.stop()
            raise
        return self.process


def wait_all(starting: list[Starting]) -> list[Process]:
    """Wait until every process of the group is ready; if one is not, stop them all and raise."""
    try:
        return [each.wait() for each in starting]
    except BaseException:
        stop_all([each.process for each in starting])
        raise


# --- Redis ----------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise StackError(
            "redis-server is not installed and no Redis answers. Install it with "
            "'sudo apt-get install redis-server' (Debian/Ubuntu), or point REDIS_URL at a Redis."
        )
    return found


def start_redis(port: int, log_dir: Path, extra_args: list[str] | None = None) -> Process:
    """A private Redis on 127.0.0.1:``port`` that keeps nothing on disk."""
    argv = [
        redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", str(log_dir),
        *(extra_args or []),
    ]
    process = spawn(f"redis-{port}", argv, dict(os.environ), log_dir)
    process.extra["url"] = f"redis://127.0.0.1:{port}/0"
    return Starting(process, lambda: redis_answers(process.extra["url"]), 10, f"Redis on port {port}").wait()


def start_sentinel(port: int, primary_port: int, log_dir: Path, master: str = "mymaster") -> Process:
    """A Redis Sentinel on 127.0.0.1:``port`` watching the primary; quick to declare it down."""
    config = log_dir / f"sentinel-{port}.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {log_dir}\n"
        f"sentinel monitor {master} 127.0.0.1 {primary_port} 2\n"
        f"sentinel down-after-milliseconds {master} 1000\n"
        f"sentinel failover-timeout {master} 5000\n"
        f"sentinel parallel-syncs {master} 1\n"
    )
    process = spawn(f"sentinel-{port}", [redis_server_binary(), str(config), "--sentinel"], dict(os.environ), log_dir)
    process.extra["url"] = f"redis://127.0.0.1:{port}/0"
    return Starting(process, lambda: redis_answers(process.extra["url"]), 10, f"Sentinel on port {port}").wait()


def ensure_redis(url: str, log_dir: Path) -> tuple[str, Process | None]:
    """The URL of a Redis that answers: ``url`` if it does, else a private one we start."""
    if redis_answers(url):
        return url, None
    parsed = urlparse(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise StackError(f"No Redis answers at {url}; start it, or unset REDIS_URL to use a local one.")
    process = start_redis(free_port(), log_dir)
    return process.extra["url"], process


def postgres_answers(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


def amqp_answers(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception:  # kombu raises the transport's own errors
        return False
    return True


# --- Django processes ---------------------------------------------------------


def spawn_daphne(
    port: int, env: dict[str, str], log_dir: Path, name: str | None = None, program: list[str] | None = None
) -> Starting:
    """Daphne (realtime.server) on 127.0.0.1:``port``; ``program`` replaces the command (the benchmark's instrumented one)."""
    argv = [
        *(program or [sys.executable, "-m", "realtime.server"]), "-b", "127.0.0.1", "-p", str(port),
        # Frames beyond this are refused by the server (close 1009) before
        # the application reads them; the protocol's own limit is smaller.
        "--websocket-max-message-size", str(MAX_WEBSOCKET_MESSAGE_BYTES),
        "asgi:application",
    ]
    name = name or f"daphne-{port}"
    process = spawn(name, argv, {**env, "REALTIME_NODE": name}, log_dir)  # its name in cluster presence
    process.extra["url"] = f"http://127.0.0.1:{port}"
    return Starting(process, lambda: port_open("127.0.0.1", port), 30, f"Daphne on port {port}")


def start_daphne(
    port: int, env: dict[str, str], log_dir: Path, name: str | None = None, program: list[str] | None = None
) -> Process:
    return spawn_daphne(port, env, log_dir, name, program).wait()


def spawn_worker(env: dict[str, str], log_dir: Path, name: str = "worker", concurrency: int | None = None) -> Starting:
    """A Celery worker; its pool and concurrency come from the settings unless ``concurrency`` is given."""
    argv = [
        str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "INFO",
        "--hostname", f"{name}@%h", "--without-mingle", "--without-gossip",
        *(["--concurrency", str(concurrency)] if concurrency else []),
    ]
    # A worker's pool reuses its processes or threads, so it keeps its database connection.
    process = spawn(name, argv, {"DATABASE_CONN_MAX_AGE": "60", **env}, log_dir)
    process.extra["role"] = "worker"
    return Starting(process, lambda: " ready." in process.log_text(), 60, f"Celery worker {name}")


def start_worker(env: dict[str, str], log_dir: Path, name: str = "worker", concurrency: int | None = None) -> Process:
    return spawn_worker(env, log_dir, name, concurrency).wait()


def manage(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
