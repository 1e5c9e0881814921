"""A process holding many dashboard sockets, recording every enrollment.updated frame.

Driven over a multiprocessing pipe: ``("status",)``, ``("drain",)``, ``("stop",)``.
Sockets reconnect with jittered backoff (for the restart measurements) and say
``hello`` on every connect.
"""
import asyncio
import json
import random
import time
from typing import Any

import websockets
from websockets.typing import Origin

from bench.stack import raise_file_limit

CONNECT_CONCURRENCY = 100


def run(url: str, learners: list[tuple[int, str]], conn, flavour: str = "ours") -> None:
    """``flavour``: ``ours`` (the dashboard protocol) or ``socketio`` (the peer, bench/peer/server.js)."""
    raise_file_limit()
    asyncio.run(_main(url, learners, conn, flavour))


async def _main(url: str, learners, conn, flavour: str) -> None:
    state: dict[str, Any] = {"open": 0, "connects": 0, "records": [], "stop": asyncio.Event()}
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    if flavour == "socketio":
        base = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket&user="
        tasks = [asyncio.create_task(_socketio(base + str(uid), uid, state, gate)) for uid, _cookie in learners]
    else:
        ws_url = url.replace("http://", "ws://") + "/ws/dashboard/"
        tasks = [asyncio.create_task(_socket(ws_url, url, uid, cookie, state, gate)) for uid, cookie in learners]
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command[0] == "status":
            conn.send({"open": state["open"], "connects": state["connects"]})
        elif command[0] == "drain":
            conn.send(state["records"])
            state["records"] = []
        elif command[0] == "stop":
            state["stop"].set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            conn.send("stopped")
            return


async def _socket(ws_url: str, origin: str, user_id: int, cookie: str, state: dict, gate) -> None:
    attempt = 0
    while not state["stop"].is_set():
        try:
            async with gate:
                socket = await websockets.connect(
                    ws_url, origin=Origin(origin), additional_headers={"Cookie": cookie}, open_timeout=30,
                    ping_interval=None,
                )
            state["connects"] += 1
            state["open"] += 1
            attempt = 0
            try:
                await socket.send('{"type": "hello", "since": 0}')
                async for raw in socket:
                    received = time.time()
                    message = json.loads(raw)
                    if message.get("type") == "enrollment.updated":
                        enrollment = message["enrollment"]
                        state["records"].append(
                            (user_id, message["version"], enrollment.get("course_id"), enrollment.get("status"), received)
                        )
            finally:
                state["open"] -= 1
                await socket.close()
        except (TimeoutError, OSError, websockets.WebSocketException):
            pass
        ceiling = min(5.0, 0.25 * 2**attempt)
        attempt += 1
        await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)


async def _socketio(ws_url: str, user_id: int, state: dict, gate) -> None:
    """A Socket.IO client over a plain WebSocket (Engine.IO 4): open, join the default namespace, answer pings."""
    while not state["stop"].is_set():
        try:
            async with gate:
                socket = await websockets.connect(ws_url, open_timeout=30, ping_interval=None, compression=None)
            try:
                await socket.recv()  # "0{...}": the Engine.IO handshake
                await socket.send("40")  # join the default namespace
                state["connects"] += 1
                state["open"] += 1
                try:
                    async for raw in socket:
                        if raw == "2":
                            await socket.send("3")
                        elif isinstance(raw, str) and raw.startswith("42"):
                            received = time.time()
                            _event, message = json.loads(raw[2:])
                            enrollment = message["enrollment"]
                            state["records"].append((user_id, message["version"], enrollment.get("course_id"),
                                                     enrollment.get("status"), received))
                finally:
                    state["open"] -= 1
            finally:
                await socket.close()
        except (TimeoutError, OSError, websockets.WebSocketException):
            await asyncio.sleep(0.5 + random.random())
