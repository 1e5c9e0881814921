"""A Python client of the dashboard protocol: what the browser's dashboard.js does, for
tools and tests (``dashboard_watch``, the fault suite, the benchmarks).

It connects with a session cookie, says ``hello`` (protocol 2; it also reads
protocol 1) with the highest version up to which it has every change, applies
catch-ups and live items of every kind by version,
resyncs when a heartbeat shows it is behind, and reconnects with backoff.
"""
import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import websockets
from websockets.typing import Origin

from realtime import protocol

logger = logging.getLogger(__name__)

# Closes after which reconnecting cannot help (docs/asyncapi.yaml, x-close-codes).
STOP_CODES = {protocol.UNAUTHENTICATED.code, protocol.FORBIDDEN.code, protocol.TOO_MANY_SOCKETS.code}
RATE_LIMITED_DELAY = 20.0  # jittered to 10-20 s


class DashboardClient:
    def __init__(
        self,
        base_url: str,
        cookie_header: str,
        since: int = 0,
        on_message: Callable[[dict[str, Any]], None] | None = None,
        silence_timeout: float = 60.0,
    ) -> None:
        """``silence_timeout``: reconnect when nothing (not even a heartbeat) came for this long."""
        self.ws_url = base_url.replace("http://", "ws://").replace("https://", "wss://") + "/ws/dashboard/"
        self.origin = base_url
        self.cookie_header = cookie_header
        self.contiguous = since
        self.seen: set[int] = set()
        self.items: dict[tuple[str, str], dict[str, Any]] = {}  # (kind, key) -> item
        self.on_message = on_message
        self.silence_timeout = silence_timeout
        self.connected = asyncio.Event()
        self.connections = 0
        self.opened_at: list[float] = []  # time.monotonic() of each connection
        self.close_codes: list[int | None] = []
        self.retry_after: float | None = None  # named by the server before a 4001
        self._socket: Any = None

    def statuses(self, kind: str = protocol.LEGACY_KIND) -> dict[str, tuple[str, int]]:
        """key -> (status, version) of the items of ``kind``, as a page would show them."""
        return {key: (item["status"], item["version"]) for (of, key), item in self.items.items() if of == kind}

    def apply(self, message: dict[str, Any]) -> bool:
        """Apply one server message; True when the client should send hello again."""
        kind = message.get("type")
        for entry in protocol.items_in(message):
            self._merge(entry)
        if kind == "catchup":
            self._advance(message["version"])
        elif kind in ("item.updated", "enrollment.updated"):
            self.seen.add(message["version"])
            self._advance(self.contiguous)
        elif kind == "heartbeat":
            return message["version"] > self.contiguous
        elif kind == "error" and "retry_after_ms" in message:
            self.retry_after = message["retry_after_ms"] / 1000
        return False

    def _merge(self, entry: dict[str, Any]) -> None:
        key = (entry["kind"], entry["key"])
        known = self.items.get(key)
        if known is None or entry["item"]["version"] > known["version"]:
            self.items[key] = entry["item"]

    def _advance(self, version: int) -> None:
        self.contiguous = max(self.contiguous, version)
        while self.contiguous + 1 in self.seen:
            self.contiguous += 1
        self.seen = {v for v in self.seen if v > self.contiguous}

    async def run(self, stop: asyncio.Event, base_delay: float = 0.25, max_delay: float = 5.0) -> None:
        """Stay connected until ``stop`` is set, reconnecting with jittered backoff."""
        attempt = 0
        while not stop.is_set():
            try:
                async with websockets.connect(
                    self.ws_url, origin=Origin(self.origin), additional_headers={"Cookie": self.cookie_header},
                    open_timeout=5, close_timeout=2,
                ) as socket:
                    self._socket = socket
                    attempt = 0
                    self.connections += 1
                    self.opened_at.append(time.monotonic())
                    await self._hello()
                    self.connected.set()
                    await self._read(socket, stop)
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                logger.debug("dashboard socket dropped: %r", exc)
            finally:
                self.connected.clear()
                if self._socket is not None:
                    self.close_codes.append(self._socket.close_code)
                self._socket = None
            code = self.close_codes[-1] if self.close_codes else None
            if stop.is_set() or code in STOP_CODES:
                break
            ceiling = min(max_delay, base_delay * 2**attempt)
            if code == protocol.RATE_LIMITED.code:
                ceiling = max(ceiling, RATE_LIMITED_DELAY)
            delay = ceiling / 2 + random.random() * ceiling / 2
            if code == protocol.GOING_AWAY.code and self.retry_after is not None:
                delay = self.retry_after  # the draining server paces its closes itself
            self.retry_after = None
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    async def _hello(self) -> None:
        await self._socket.send(json.dumps({"type": "hello", "since": self.contiguous, "protocol": 2}))

    async def _read(self, socket: Any, stop: asyncio.Event) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                receiving = asyncio.ensure_future(socket.recv())
                done, _ = await asyncio.wait(
                    {receiving, stopping}, timeout=self.silence_timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if receiving not in done:  # stopping, or a socket that went silent: close it
                    receiving.cancel()
                    await socket.close()
                    return
                message = json.loads(receiving.result())
                if self.on_message:
                    self.on_message(message)
                if self.apply(message):
                    await self._hello()
        finally:
            stopping.cancel()
