"""One node of the service, started the same way by `make run`, the tests and the benchmark.

The layout (chosen by measurement, docs/performance.md "A node's layout"):

    nginx on the node's port ──/ws/──► Daphne × SOCKET_PROCESSES (the open dashboards, least connections)
                             └─ else ─► gunicorn workers        (pages and the JSON API, WSGI)

Daphne serves a plain HTTP request through Django's ASGI bridge, which gives
each request a new thread and a new database connection; gunicorn's workers
keep both, and cost about a third of the CPU per request. The sockets stay on
Daphne, in two processes by default: one core each when busy, and each
process's collector and file limit see half the sockets. ``NODE_LAYOUT=daphne``
runs the older single-Daphne layout, for comparison.
"""
import os
import resource
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from devstack.processes import (
    BIN,
    ROOT,
    Process,
    StackError,
    Starting,
    free_port,
    port_open,
    spawn,
    spawn_daphne,
    spawn_worker,
    stop_all,
    wait_all,
)

LAYOUTS = ("split", "daphne")
# Sockets through the proxy hold two descriptors each (client and upstream).
PROXY_CONNECTIONS = 50_000
# Each nginx worker has its own open-file limit; several hold more sockets than one.
PROXY_WORKERS = 8
# nginx keeps connections to gunicorn open between requests (a new one per request cost both
# sides an accept and a thread hand-off). gunicorn keeps an idle one 5 s longer than nginx does,
# so nginx never sends a request on a connection gunicorn is closing: nginx does not retry a
# POST that fails that way, and the learner would get a 502. deploy/nginx.conf does the same.
WEB_KEEPALIVE_CONNECTIONS = 16
WEB_KEEPALIVE_SECONDS = 30


def proxy_connections() -> int:
    """As many connections as the open-file limit allows, up to PROXY_CONNECTIONS."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return PROXY_CONNECTIONS if hard == resource.RLIM_INFINITY else min(PROXY_CONNECTIONS, hard // 2 - 100)


@dataclass
class Node:
    """The processes of one node; ``url`` is its one entry point."""

    url: str
    layout: str
    processes: list[Process] = field(default_factory=list)

    def socket_servers(self) -> list[Process]:
        """The Daphne processes holding the sockets."""
        return [p for p in self.processes if p.extra.get("role", "").startswith("sockets")]

    def stop(self) -> None:
        """Stop every process at once, the proxy last: the socket servers' drain (REALTIME_DRAIN_SECONDS,
        then its grace) reaches the pages through it."""
        proxies = [p for p in self.processes if p.extra.get("role") == "proxy"]
        sockets = self.socket_servers()
        stop_all([p for p in self.processes if p not in proxies], lambda p: 30 if p in sockets else 10)
        stop_all(proxies)


def web_workers(env: dict[str, str]) -> int:
    return int(env.get("WEB_WORKERS", "2"))


def gunicorn_argv(port: int, env: dict[str, str]) -> list[str]:
    return [
        str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(web_workers(env)), "--worker-class", "gthread", "--threads", env.get("WEB_THREADS", "4"),
        "--keep-alive", str(WEB_KEEPALIVE_SECONDS + 5),
        "--access-logfile", "-" if env.get("WEB_ACCESS_LOG") == "1" else "/dev/null", "--log-level", "warning",
    ]


def spawn_gunicorn(port: int, env: dict[str, str], log_dir: Path, name: str) -> Starting:
    process = spawn(name, gunicorn_argv(port, env), env, log_dir)
    process.extra.update(role="web", url=f"http://127.0.0.1:{port}")
    return Starting(process, lambda: port_open("127.0.0.1", port), 30, f"gunicorn on port {port}")


def socket_processes(env: dict[str, str]) -> int:
    return int(env.get("SOCKET_PROCESSES", "2"))


def nginx_config(port: int, web_port: int, socket_ports: list[int], run_dir: Path, log: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    connections = proxy_connections()
    sockets = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in socket_ports)
    temp = "\n".join(f"    {kind}_temp_path {run_dir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}daemon off;
worker_processes {PROXY_WORKERS};
worker_rlimit_nofile {connections * 2};
pid {run_dir / 'nginx.pid'};
error_log {log} warn;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
{temp}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream sockets {{
        least_conn;
{sockets}
    }}
    upstream web {{
        server 127.0.0.1:{web_port};
        keepalive {WEB_KEEPALIVE_CONNECTIONS};
        keepalive_timeout {WEB_KEEPALIVE_SECONDS}s;
    }}
    server {{
        listen 127.0.0.1:{port} reuseport;
        client_max_body_size 1m;
        location /ws/ {{
            proxy_pass http://sockets;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise StackError("nginx is not installed: 'sudo apt-get install nginx-light' (make run installs it).")
    return found


def spawn_proxy(port: int, web_port: int, socket_ports: list[int], log_dir: Path, name: str) -> Starting:
    run_dir = ROOT / "var" / "run" / name
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / kind).mkdir(parents=True, exist_ok=True)
    config = run_dir / "nginx.conf"
    log_dir.mkdir(parents=True, exist_ok=True)
    config.write_text(nginx_config(port, web_port, socket_ports, run_dir, log_dir / f"{name}.log"))
    process = spawn(name, [nginx_binary(), "-c", str(config), "-e", str(log_dir / f"{name}.log")], dict(os.environ), log_dir)
    process.extra.update(role="proxy", url=f"http://127.0.0.1:{port}")
    return Starting(process, lambda: port_open("127.0.0.1", port), 15, f"nginx on port {port}")


def start_node(port: int, env: dict[str, str], log_dir: Path, name: str = "node", daphne_program: list[str] | None = None,
               workers: int = 0) -> Node:
    """Start a node on ``port`` in the layout ``NODE_LAYOUT`` names (``split`` by default), with ``workers``
    Celery workers. Its processes start together; it returns once every one is ready."""
    layout = env.get("NODE_LAYOUT", "split")
    if layout not in LAYOUTS:
        raise StackError(f"NODE_LAYOUT must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    node = Node(f"http://127.0.0.1:{port}", layout)
    starting: list[Starting] = []
    try:
        if layout == "daphne":  # Daphne serves HTTP here: a connection per request (config/settings.py)
            starting.append(spawn_daphne(port, env, log_dir, name=f"{name}-daphne", program=daphne_program))
            starting[-1].process.extra["role"] = "sockets1"
        else:
            # Every process of this layout reuses its threads, so it keeps its connections.
            env = {"DATABASE_CONN_MAX_AGE": "60", **env}
            web_port, socket_ports = free_port(), [free_port() for _ in range(socket_processes(env))]
            for n, socket_port in enumerate(socket_ports, start=1):
                starting.append(spawn_daphne(socket_port, env, log_dir, name=f"{name}-daphne{n}", program=daphne_program))
                starting[-1].process.extra["role"] = f"sockets{n}"
            starting.append(spawn_gunicorn(web_port, env, log_dir, name=f"{name}-web"))
            starting.append(spawn_proxy(port, web_port, socket_ports, log_dir, name=f"{name}-proxy"))
        for n in range(1, workers + 1):
            starting.append(spawn_worker(env, log_dir, name=f"{name}-worker{n}" if workers > 1 else f"{name}-worker"))
    except BaseException:  # one could not even be spawned (nginx missing): stop the others
        stop_all([each.process for each in starting])
        raise
    node.processes = wait_all(starting)
    return node
