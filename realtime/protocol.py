"""The dashboard WebSocket protocol: parsing what clients send, building what we send.

Pure functions, no I/O. docs/asyncapi.yaml describes the same messages, and
a test checks every message built here against it.

Client -> server:
    {"type": "hello", "since": <int >= 0>, "protocol": 2, "build": str}   after connecting and to resync
    {"type": "ping", "id": <str, optional>}
Server -> client (protocol 2):
    {"type": "catchup", "version": N, "items": [{"kind", "key", "item"}, ...], "build": str}   answer to hello
    {"type": "item.updated", "version": N, "kind": str, "key": str, "item": {...}}
    {"type": "heartbeat", "version": N}                         every few seconds
    {"type": "pong", "id": ...}
    {"type": "error", "code": str, "message": str, "retry_after_ms": int (optional)}

Protocol 1, the enrollment-only protocol of pages built before live items of
any kind, is what a hello without ``protocol`` asks for: its catch-up carries
``enrollments`` (the items of kind ``enrollment``) and its live event is
``enrollment.updated``; changes of other kinds are not sent, and the gap they
leave in its versions is closed by the catch-up its next heartbeat asks for.
The server speaks both during the compatibility period
docs/asyncapi.yaml names; a protocol-2 client also reads protocol 1, so a new
page behind an old server works too.
"""
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_CLIENT_MESSAGE_BYTES = 4096



@dataclass(frozen=True)
class Closing:
    """Why the server closes a socket: the close code, the ``error`` code sent just
    before it, and the text for both.

    Every code is in 4000-4999. Daphne's WebSocket layer (Autobahn) lets an
    application close only with 1000 or 3000-4999; anything else (1008, 1011)
    raises inside the server and the client sees 1011 or 1006 instead. Daphne
    also drops a close frame's reason text (django/daphne#374), so the reason
    travels in the ``error`` message that precedes every close.
    """

    code: int
    error: str
    message: str
    retry_after_ms: int | None = None  # told to the client in the error, when the server knows it


GOING_AWAY = Closing(4001, "going_away", "This server is restarting; reconnect now (to another one).", retry_after_ms=0)
UNAUTHENTICATED = Closing(4401, "unauthenticated", "Log in to receive updates.")
FORBIDDEN = Closing(4403, "forbidden", "Only staff may watch another learner's items.")
TOO_MANY_SOCKETS = Closing(4409, "too_many_sockets", "Too many open dashboards; close one and reload.")
RATE_LIMITED = Closing(4429, "rate_limited", "Too many messages; slow down.")
UNAVAILABLE = Closing(4503, "unavailable", "Live updates are briefly unavailable.")
CLOSINGS = {
    closing.code: closing for closing in (GOING_AWAY, UNAUTHENTICATED, FORBIDDEN, TOO_MANY_SOCKETS, RATE_LIMITED, UNAVAILABLE)
}


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# The protocol a hello without "protocol" speaks, and the one kind it carries.
LEGACY_PROTOCOL = 1
LEGACY_KIND = "enrollment"
LEGACY_KEY = "course_id"
PROTOCOLS = (LEGACY_PROTOCOL, 2)


@dataclass(frozen=True)
class Hello:
    since: int
    protocol: int = LEGACY_PROTOCOL
    build: str = ""  # the page's frontend build, for cluster presence


@dataclass(frozen=True)
class Ping:
    id: str | None


ClientMessage = Hello | Ping


def parse_client_frame(text: str | None, data: bytes | None) -> ClientMessage:
    """Parse one frame from a client, or raise ProtocolError saying what is wrong."""
    if data is not None:
        raise ProtocolError("binary_not_supported", "Send JSON text frames, not binary ones.")
    if text is None:
        raise ProtocolError("empty_frame", "The frame is empty.")
    if len(text.encode()) > MAX_CLIENT_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"Messages are at most {MAX_CLIENT_MESSAGE_BYTES} bytes.")
    try:
        content = json.loads(text)
    except ValueError:
        raise ProtocolError("malformed_json", "The frame is not valid JSON.") from None
    return parse_client_message(content)


def parse_client_message(content: Any) -> ClientMessage:
    if not isinstance(content, dict):
        raise ProtocolError("invalid_message", "A message is a JSON object with a 'type'.")
    kind = content.get("type")
    if kind == "hello":
        since = content.get("since", 0)
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            raise ProtocolError("invalid_since", "'since' must be a whole number >= 0.")
        version = content.get("protocol", LEGACY_PROTOCOL)
        if type(version) is not int or version not in PROTOCOLS:
            raise ProtocolError("unsupported_protocol", f"'protocol' must be one of {list(PROTOCOLS)}.")
        build = content.get("build", "")
        if not isinstance(build, str) or len(build) > 64:
            raise ProtocolError("invalid_build", "'build' must be a string of at most 64 characters.")
        return Hello(since=since, protocol=version, build=build)
    if kind == "ping":
        ping_id = content.get("id")
        if ping_id is not None and (not isinstance(ping_id, str) or len(ping_id) > 64):
            raise ProtocolError("invalid_ping", "'id' must be a string of at most 64 characters.")
        return Ping(id=ping_id)
    raise ProtocolError("unknown_type", f"Unknown message type {str(kind)[:40]!r}; expected hello or ping.")


def catchup(version: int, items: Sequence[Mapping[str, Any]], build: str, speaking: int) -> dict[str, Any]:
    """Everything up to ``version`` in protocol ``speaking``; ``items`` are envelopes
    (realtime.items.Item). ``build``: the frontend build this server serves; a page
    on another one reloads."""
    if speaking == LEGACY_PROTOCOL:
        enrollments = [entry["item"] for entry in items if entry["kind"] == LEGACY_KIND]
        return {"type": "catchup", "version": version, "enrollments": enrollments, "build": build}
    return {"type": "catchup", "version": version, "items": items, "build": build}


def item_updated(entry: dict[str, Any], version: int, speaking: int) -> dict[str, Any] | None:
    """One live item's change in protocol ``speaking``; None when that protocol does not carry its kind."""
    if speaking == LEGACY_PROTOCOL:
        if entry["kind"] != LEGACY_KIND:
            return None
        return {"type": "enrollment.updated", "version": version, "enrollment": entry["item"]}
    return {"type": "item.updated", "version": version, **entry}


def heartbeat(version: int) -> dict[str, Any]:
    return {"type": "heartbeat", "version": version}


def pong(ping_id: str | None) -> dict[str, Any]:
    return {"type": "pong", "id": ping_id}


def error(code: str, message: str, retry_after_ms: int | None = None) -> dict[str, Any]:
    """``retry_after_ms``: when the client should reconnect (sent before a 4001)."""
    body: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if retry_after_ms is not None:
        body["retry_after_ms"] = retry_after_ms
    return body


def items_in(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The item envelopes a server message of either protocol carries (for clients)."""
    if message.get("type") == "catchup":
        if "items" in message:
            return message["items"]
        return [_legacy_entry(enrollment) for enrollment in message.get("enrollments", [])]
    if message.get("type") == "item.updated":
        return [{"kind": message["kind"], "key": message["key"], "item": message["item"]}]
    if message.get("type") == "enrollment.updated":
        return [_legacy_entry(message["enrollment"])]
    return []


def _legacy_entry(enrollment: dict[str, Any]) -> dict[str, Any]:
    return {"kind": LEGACY_KIND, "key": enrollment[LEGACY_KEY], "item": enrollment}
