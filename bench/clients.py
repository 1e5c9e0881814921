"""Load-client processes: socket pools, pollers and the publisher, run beside the server."""
import asyncio
import json
import multiprocessing
import random
import time
from typing import Any

from bench import publisher, sockets
from devstack.processes import wait_until

SPAWN = multiprocessing.get_context("spawn")


class SocketPools:
    """Dashboards spread over processes, so no client's file limit is the bound."""

    def __init__(self, url: str, learners: list[tuple[int, str]], per_process: int = 2500,
                 flavour: str = "ours") -> None:
        self.expected = len(learners)
        self.pipes, self.processes = [], []
        for start in range(0, len(learners), per_process):
            ours, theirs = SPAWN.Pipe()
            process = SPAWN.Process(target=sockets.run, args=(url, learners[start:start + per_process], theirs,
                                                              flavour), daemon=True)
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    def _ask(self, command: tuple) -> list:
        for pipe in self.pipes:
            pipe.send(command)
        return [pipe.recv() for pipe in self.pipes]

    def open(self) -> int:
        return sum(status["open"] for status in self._ask(("status",)))

    def connects(self) -> int:
        return sum(status["connects"] for status in self._ask(("status",)))

    def wait_open(self, count: int, timeout: float, progress=None) -> float:
        start = time.perf_counter()

        def ready() -> bool:
            now_open = self.open()
            if progress:
                progress(now_open)
            return now_open >= count

        wait_until(ready, timeout, f"{count} sockets to open", interval=0.5)
        return time.perf_counter() - start

    def drain(self) -> list[tuple]:
        return [record for batch in self._ask(("drain",)) for record in batch]

    def close(self) -> None:
        self._ask(("stop",))
        for process in self.processes:
            process.join(10)


def run_in_processes(target, argument_lists: list[tuple]) -> list:
    """Run ``target(*arguments, pipe)`` in one spawned process per argument list; what each sent back."""
    pipes, processes = [], []
    for arguments in argument_lists:
        ours, theirs = SPAWN.Pipe()
        process = SPAWN.Process(target=target, args=(*arguments, theirs))
        process.start()
        pipes.append(ours)
        processes.append(process)
    results = [pipe.recv() for pipe in pipes]
    for process in processes:
        process.join(10)
    return results


PUBLISHES_PER_PROCESS = 1200  # one publisher process waits for each group_send; more than this needs company


def publish(env: dict, kind: str, user_ids: list[int], rate: float, seconds: float, version_base: int) -> dict:
    """Publish at ``rate`` per second for ``seconds``, spread over enough processes to offer it."""
    count = max(1, -(-int(rate) // PUBLISHES_PER_PROCESS))
    per_process = int(rate / count * seconds) + 1
    results = run_in_processes(publisher.run, [(env, kind, user_ids[n::count], rate / count, seconds,
                                                version_base + n * per_process) for n in range(count)])
    return {"sent": [s for result in results for s in result["sent"]],
            "elapsed": max(result["elapsed"] for result in results), "next_version": version_base + count * per_process}


# --- Polling ------------------------------------------------------------------


def poll(url: str, learners: list[tuple[int, str]], interval: float, seconds: float) -> dict:
    """Every learner polls ``/api/v1/enrollments/?since=0`` each ``interval`` s, in one client process."""
    ours, theirs = SPAWN.Pipe()
    process = SPAWN.Process(target=_poll_process, args=(url, learners, interval, seconds, theirs))
    process.start()
    result = ours.recv()
    process.join(10)
    return result


def _poll_process(url: str, learners, interval: float, seconds: float, conn) -> None:
    sockets.raise_file_limit()
    conn.send(asyncio.run(_poll_all(url, learners, interval, seconds)))


async def _poll_all(url: str, learners, interval: float, seconds: float) -> dict:
    stats: dict[str, Any] = {"requests": 0, "errors": 0, "latencies_ms": [], "versions": []}
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(_poller(url, user_id, cookie, interval, deadline, stats) for user_id, cookie in learners))
    stats["latencies_ms"] = stats["latencies_ms"][:20000]
    return stats


async def _poller(url: str, user_id: int, cookie: str, interval: float, deadline: float, stats: dict) -> None:
    """Poll until ``deadline``; each new version seen goes to ``stats["versions"]`` as (user, version, time)."""
    await asyncio.sleep(random.random() * interval)
    connection = Connections(url)  # this learner's own, kept between polls
    request = connection.request("GET", "/api/v1/enrollments/?since=0",
                                 headers={"Cookie": cookie, "Accept": "application/json"})
    held = None
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            status, body = await connection.send(request)
            if status != 200:
                raise ValueError(status)
            stats["requests"] += 1
            version = json.loads(body)["version"]
            if version != held:
                held = version
                stats["versions"].append((user_id, version, time.time()))
            stats["latencies_ms"].append((time.perf_counter() - started) * 1000)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            stats["errors"] += 1
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
    connection.close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Read one response: its status code, whether the connection may be reused, and the body."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length, keep = 0, True
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and "close" in value.lower():
            keep = False
    return status, keep, await reader.readexactly(length)


class Connections:
    """Keep-alive HTTP/1.1 connections to one server, opened as the load needs them.

    The load driver shares the node's two cores, so it writes its requests and reads the
    answers itself: httpx spent 4 to 12 ms of CPU on each checkout it sent (finding 34).
    """

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}",
                 *(f"{name}: {value}" for name, value in (headers or {}).items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def send(self, request: bytes, timeout: float = 60) -> tuple[int, bytes]:
        """Send ``request`` (from ``request()``) on an idle connection or a new one: the status and body."""
        reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(request)
            status, keep, body = await asyncio.wait_for(_read_response(reader), timeout)
        except BaseException:
            writer.close()
            raise
        if keep:
            self.idle.append((reader, writer))
        else:
            writer.close()
        return status, body

    def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle = []


# --- Checkout load ----------------------------------------------------------------


def place_orders(url: str, group: list[tuple[int, str]], course_keys: list[str], rate: float, count: int,
                 processes: int = 2) -> dict:
    """Offer ``count`` free-seat checkouts at ``rate`` per second from ``processes`` client processes.

    Order ``i`` is learner ``i % len(group)`` buying ``course_keys[i // len(group)]``. Returns the
    orders as (user, course, sent at, answered at, status) and the clients' own CPU seconds.
    """
    # Every client starts its schedule together, once all are started and connected: a process
    # still importing, or a first connection still opening, would put its cost on the first orders.
    ready = SPAWN.Barrier(processes)
    results = run_in_processes(_order_process, [(url, group, course_keys, rate, count, n, processes, ready)
                                                for n in range(processes)])
    return {"orders": [o for r in results for o in r["orders"]], "client_cpu_seconds": sum(r["cpu"] for r in results)}


def _order_process(url, group, course_keys, rate, count, index, processes, ready, conn) -> None:
    sockets.raise_file_limit()
    cpu = time.process_time()
    orders = asyncio.run(_orders(url, group, course_keys, rate, count, index, processes, ready))
    conn.send({"orders": orders, "cpu": time.process_time() - cpu})


async def _orders(url, group, course_keys, rate, count, index, processes, ready) -> list[tuple]:
    orders: list[tuple] = []
    connections = Connections(url)

    async def one(i: int) -> None:
        user_id, cookie = group[i % len(group)]
        course = course_keys[i // len(group)]
        sent = time.time()
        try:
            status, _body = await connections.send(checkout_request(connections, cookie, course))
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            status = 0
        orders.append((user_id, course, sent, time.time(), status))

    tasks = []
    status, _body = await connections.send(connections.request("GET", "/healthz"))
    if status != 200:  # the connection is open, and the node answers, before the clock starts
        raise RuntimeError(f"/healthz answered {status}")
    await asyncio.to_thread(ready.wait)
    begin = time.perf_counter()
    for i in range(index, count, processes):
        await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    connections.close()
    return orders


CSRF = "b" * 32  # any token does, as long as the cookie and the header agree


def checkout_request(connections: Connections, cookie: str, course_key: str) -> bytes:
    """A learner's free-seat checkout through the JSON API, as the dashboard's page sends it."""
    return connections.request(
        "POST", "/api/v1/orders/", body=json.dumps({"course_id": course_key, "mode": "audit"}).encode(),
        headers={"Content-Type": "application/json", "Cookie": f"{cookie}; csrftoken={CSRF}", "X-CSRFToken": CSRF},
    )
