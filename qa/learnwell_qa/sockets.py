"""One dashboard socket seen from the client side, with waits that say what arrived instead."""
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.typing import Origin, Subprotocol

from learnwell_qa.contract import Contract

SUBPROTOCOL = "learnwell.v1"
TOKEN_PREFIX = "token."

Match = Callable[[dict[str, Any]], Any]


class DashboardSocket:
    """Send and receive JSON messages; every received one is checked against ``contract``.

    ``connection`` is the transport underneath (a websockets connection), for tests
    that look at close codes or send raw frames.
    """

    connection: Any = None

    def __init__(
        self,
        send_text: Callable[[str], Awaitable[Any]],
        receive_text: Callable[[], Awaitable[str]],
        close: Callable[[], Awaitable[Any]],
        contract: Contract | None = None,
    ) -> None:
        self._send_text = send_text
        self._receive_text = receive_text
        self._close = close
        self.contract = contract
        self.received: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self._send_text(json.dumps(message))

    async def hello(self, since: int = 0, protocol: int | None = None) -> dict[str, Any]:
        """Say hello (protocol 1, the enrollment-only one, unless ``protocol`` names another)."""
        await self.send({"type": "hello", "since": since, **({"protocol": protocol} if protocol else {})})
        return await self.expect("catchup")

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        """The next message, checked against the contract when there is one."""
        message = json.loads(await asyncio.wait_for(self._receive_text(), timeout))
        self.received.append(message)
        if self.contract is not None:
            self.contract.validate_server_message(message)
        return message

    async def expect(self, type_: str, within: float = 5) -> dict[str, Any]:
        """The next message of ``type_``; others are kept in ``received``."""
        return await self.first(
            lambda message: message if message["type"] == type_ else None,
            within,
            f"no {type_!r} message within {within}s",
        )

    async def expect_item(self, kind: str, key: str, status: str, within: float = 5) -> dict[str, Any]:
        """Wait until an update or catch-up shows item ``kind``/``key`` in ``status``; returns the item."""

        def match(message: dict[str, Any]) -> dict[str, Any] | None:
            return next(
                (
                    entry["item"]
                    for entry in items_in(message)
                    if entry["kind"] == kind and entry["key"] == key and entry["item"].get("status") == status
                ),
                None,
            )

        return await self.first(match, within, f"{kind} {key} did not become {status!r} within {within}s")

    async def expect_update(self, course_id: str, status: str = "active", within: float = 5) -> dict[str, Any]:
        """Wait until the enrollment in ``course_id`` shows ``status``."""
        return await self.expect_item("enrollment", course_id, status, within)

    async def first(self, match: Match, within: float, failure: str) -> Any:
        """Receive until ``match(message)`` returns something; fail listing what arrived."""
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await self.receive(timeout=left)
            except TimeoutError:
                break
            if (found := match(message)) is not None:
                return found
        raise AssertionError(f"{failure}; received: {self._summary()}")

    async def expect_silence(self, within: float = 1) -> None:
        try:
            message = await self.receive(timeout=within)
        except TimeoutError:
            return
        raise AssertionError(f"expected no message, got {message}")

    async def close(self) -> None:
        await self._close()

    def _summary(self) -> str:
        return json.dumps(self.received[-20:], indent=1) if self.received else "nothing"


def items_in(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The item envelopes (kind, key, item) a server message of either protocol carries."""
    if message.get("type") == "catchup":
        if "items" in message:
            return message["items"]
        return [_enrollment_entry(enrollment) for enrollment in message.get("enrollments", [])]
    if message.get("type") == "item.updated":
        return [{"kind": message["kind"], "key": message["key"], "item": message["item"]}]
    if message.get("type") == "enrollment.updated":
        return [_enrollment_entry(message["enrollment"])]
    return []


def _enrollment_entry(enrollment: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "enrollment", "key": enrollment["course_id"], "item": enrollment}


async def connect(
    base_url: str, token: str | None = None, cookie: str | None = None, contract: Contract | None = None
) -> DashboardSocket:
    """A real WebSocket to ``base_url``'s dashboard, as a browser on that origin opens it.

    Authenticate with a connection token (``POST /api/v1/realtime/token/``; offered
    as a subprotocol, never in the URL) or a session cookie (``"sessionid=..."``).
    A refused handshake raises ``websockets.InvalidStatus``; a close after the
    handshake shows on the first ``receive`` as ``websockets.ConnectionClosed``
    with the close code and reason.
    """
    ws_url = base_url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://") + "/ws/dashboard/"
    subprotocols = [Subprotocol(SUBPROTOCOL), Subprotocol(TOKEN_PREFIX + token)] if token else None
    connection = await websockets.connect(
        ws_url,
        origin=Origin(base_url.rstrip("/")),
        subprotocols=subprotocols,
        additional_headers={"Cookie": cookie} if cookie else None,
    )

    async def receive_text() -> str:
        message = await connection.recv()
        return message if isinstance(message, str) else message.decode()

    socket = DashboardSocket(connection.send, receive_text, connection.close, contract)
    socket.connection = connection
    return socket
