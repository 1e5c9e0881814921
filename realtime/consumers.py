"""The learner's live WebSocket: translates between frames and the services.

It carries live items of every registered kind (realtime.items), in the
protocol the client's hello asks for (realtime.protocol).

A socket joins its learner's group before it is accepted, so nothing
published after the page connects is missed. Channels hands a consumer its
frames and group messages one at a time, and an event is published only after
its change committed; so an event handled before the client's ``hello`` is in
the catch-up that the hello triggers, and is not sent on its own. After a
catch-up, events at or below its version are skipped as already sent; the
socket also remembers which versions it was sent, so the process's hub can
repair one whose event was lost (realtime.hub).
"""
import json
import logging
import time
from typing import Any

import redis
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from config.logcontext import carried
from realtime import hub, items, metrics, presence, protocol, tokens
from realtime.publishing import group_for_user
from realtime.ratelimit import TokenBucket

logger = logging.getLogger(__name__)

# What the channel layer raises when Redis cannot be reached.
LAYER_ERRORS = (redis.RedisError, OSError)

class DashboardConsumer(AsyncWebsocketConsumer):
    group: str | None = None
    accepted = False
    present = False  # registered in cluster presence

    async def connect(self) -> None:
        user = await self.authenticated()
        if user is not None:
            await self.open_for(user.pk, learner=True)

    async def authenticated(self) -> Any:
        """The socket's user, or None after refusing it (4401, with the token's own reason if any)."""
        self.bucket = TokenBucket(settings.REALTIME_CLIENT_MESSAGES_PER_SECOND, settings.REALTIME_CLIENT_MESSAGE_BURST)
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            return user
        refused = self.scope.get("token_refused")
        if refused is not None:
            await self.refuse(protocol.UNAUTHENTICATED, refused.code, refused.message)
        else:
            await self.refuse(protocol.UNAUTHENTICATED)
        return None

    async def open_for(self, user_id: int, learner: bool) -> None:
        """Let the socket in on ``user_id``'s items. A ``learner``'s own socket counts towards
        their limit and shows in cluster presence; a staff member watching them does neither."""
        self.user_id: int = user_id
        # The limit holds across the cluster (realtime.presence). The process's own count is
        # checked first, and the socket joins its registry before any await, so concurrent
        # connects to one process cannot slip past it.
        if learner and hub.hub().count(self.user_id) >= settings.REALTIME_MAX_SOCKETS_PER_LEARNER:
            await self.refuse(protocol.TOO_MANY_SOCKETS)
            return
        # The version of the last catch-up: events at or below it are not sent
        # again. None until the client's hello.
        self.caught_up_to: int | None = None
        self.speaking = protocol.LEGACY_PROTOCOL  # set by the client's hello
        # Every version up to ``sent_through`` has been sent on this socket (by a
        # catch-up or as an event); versions sent above it wait in ``sent_above``.
        # The hub repairs a socket that lacks a committed version.
        self.sent_through = 0
        self.sent_above: set[int] = set()
        self.client_build = ""
        hub.hub().join(self)
        try:
            await self.channel_layer.group_add(group_for_user(self.user_id), self.channel_name)
            self.group = group_for_user(self.user_id)
            if learner:
                across_cluster = await presence.join(self.user_id, self.channel_name)
                self.present = True
        except LAYER_ERRORS as exc:
            logger.warning("live updates unavailable for user %s: %r", self.user_id, exc)
            await self.refuse(protocol.UNAVAILABLE)
            return
        if learner and across_cluster > settings.REALTIME_MAX_SOCKETS_PER_LEARNER:
            await self.refuse(protocol.TOO_MANY_SOCKETS)
            return
        if hub.hub().draining:  # this server drains: off to another one
            await self.refuse(protocol.GOING_AWAY)
            return
        await self.accept()
        self.accepted = True
        logger.info("socket open for user %s", self.user_id)

    async def accept(self, subprotocol: str | None = None) -> None:
        # A client that offered our subprotocol (token clients do) must get it back.
        offered = self.scope.get("subprotocols") or []
        await super().accept(subprotocol or (tokens.SUBPROTOCOL if tokens.SUBPROTOCOL in offered else None))

    async def refuse(self, closing: protocol.Closing, code: str | None = None, message: str | None = None) -> None:
        """Accept only to say why, then close: browsers show no reason for a refused handshake."""
        await self.accept()
        await self.close_with(closing, code, message)

    async def close_with(self, closing: protocol.Closing, code: str | None = None, message: str | None = None) -> None:
        """Send the ``error`` that says why, then close with the closing's code.

        ``code`` and ``message`` refine the error (a token's own refusal) under the same close code.
        """
        message = message or closing.message
        await self.send_message(protocol.error(code or closing.error, message, closing.retry_after_ms))
        await self.close(code=closing.code, reason=message)

    async def go_away(self) -> None:
        """Called by the hub when this server drains and it is this socket's turn.

        A socket not let in yet is turned away by its own connect, which sees the drain.
        """
        if not self.accepted:
            return
        logger.info("socket of user %s told to go away: this server is draining", self.user_id)
        await self.close_with(protocol.GOING_AWAY)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its close of old database connections before every message.

        Channels (4.2+) awaits ``aclose_old_connections`` before each handler: a hop to the
        process's one thread for synchronous calls, for every frame and every group message. Under
        a burst of orders that was a fifth of a socket server's CPU (bench/notes.md, finding 38), and
        each push queued on that thread behind whatever catch-up query held it. This consumer
        reaches the database only through ``database_sync_to_async`` (in realtime.auth and
        realtime.items), which closes old connections before and after each call itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except LAYER_ERRORS as exc:
            if hasattr(self, "channel_name"):
                raise
            # The layer could not even give this socket a channel (the PubSub
            # layer subscribes at once): say so instead of failing the handshake.
            logger.warning("live updates unavailable (no channel for a new socket): %r", exc)
            self.base_send = send
            if (await receive())["type"] == "websocket.connect":
                await self.refuse(protocol.UNAVAILABLE)
        finally:
            # Also when the app dies without a disconnect (its channel layer
            # failed): a forgotten socket would stay in the hub.
            self.forget()

    async def disconnect(self, code: int) -> None:
        self.forget()
        if self.group:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
                if self.present:
                    await presence.leave(self.user_id, self.channel_name)
            except Exception as exc:  # Redis gone: the group and presence entries expire on their own
                logger.warning("leaving the group failed for user %s: %r", self.user_id, exc)
            logger.info("socket closed for user %s (code %s)", self.user_id, code)

    def forget(self) -> None:
        """Leave the process's registry (a second call changes nothing)."""
        if hasattr(self, "user_id"):
            hub.hub().leave(self)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.bucket.allow(time.monotonic()):
            logger.warning("user %s sent messages too fast; closing the socket", self.user_id)
            await self.close_with(protocol.RATE_LIMITED)
            return
        try:
            message = protocol.parse_client_frame(text_data, bytes_data)
        except protocol.ProtocolError as problem:
            await self.send_message(protocol.error(problem.code, problem.message))
            return
        if isinstance(message, protocol.Hello):
            self.speaking = message.protocol
            self.client_build = message.build
            await self.catch_up(message.since)
        else:
            await self.send_message(protocol.pong(message.id))

    async def catch_up(self, since: int) -> None:
        snapshot = await items.read_changes(self.user_id, since)
        metrics.CATCHUP_SIZE.observe(len(snapshot.items))
        await self.send_message(protocol.catchup(snapshot.version, snapshot.items, settings.FRONTEND_BUILD, self.speaking))
        self.caught_up_to = max(snapshot.version, self.caught_up_to or 0)
        self._sent(snapshot.version, through=True)
        hub.hub().note(self.user_id, snapshot.version)

    async def item_updated(self, event: dict[str, Any]) -> None:
        """A group message from realtime.publishing. Duplicates and reordered events above the
        catch-up are forwarded as they come: the client applies them by version."""
        version = event["version"]
        if self.caught_up_to is None or version <= self.caught_up_to:
            return
        entry = {"kind": event["kind"], "key": event["key"], "item": event["item"]}
        message = protocol.item_updated(entry, version, self.speaking)
        self._sent(version)
        hub.hub().note(self.user_id, version)
        if message is None:
            # A kind the client's protocol does not carry: nothing to send. The
            # client sees a gap in its versions, which its next heartbeat closes
            # with a catch-up; the hub need not repair it.
            return
        await self.send_message(message)
        hub.hub().delivered += 1
        metrics.EVENTS_DELIVERED.inc()
        if logger.isEnabledFor(logging.DEBUG):  # the push path: nothing per frame unless asked for
            with carried(event):
                logger.debug("delivered %s %s v%s to a socket of user %s", event["kind"], event["key"], version,
                             self.user_id)
        if "published_at" in event:
            metrics.PUBLISH_TO_SEND.observe(max(0.0, time.time() - event["published_at"]))

    async def enrollment_updated(self, event: dict[str, Any]) -> None:
        """The group message publishers sent before live items of any kind; still read during a
        rolling deploy (socket servers first, then workers) and from the README's direct push."""
        enrollment = event["enrollment"]
        await self.item_updated({**event, "kind": protocol.LEGACY_KIND, "key": enrollment[protocol.LEGACY_KEY],
                                 "item": enrollment})

    def lacks(self, version: int) -> bool:
        """True when this socket (past its hello) has not been sent ``version``."""
        return self.caught_up_to is not None and version > self.sent_through and version not in self.sent_above

    async def repair(self) -> None:
        """Called by the hub when a version this socket lacks is committed and its event did not come."""
        await self.catch_up(self.sent_through)

    def _sent(self, version: int, through: bool = False) -> None:
        if through:
            self.sent_through = max(version, self.sent_through)
            self.sent_above = {v for v in self.sent_above if v > self.sent_through}
        elif version > self.sent_through:
            self.sent_above.add(version)
        while self.sent_through + 1 in self.sent_above:
            self.sent_through += 1
            self.sent_above.discard(self.sent_through)

    async def live_resync(self, event: dict[str, Any]) -> None:
        """Support asked every page of the learner to resync (realtime.control): a full catch-up."""
        if self.caught_up_to is not None:
            await self.catch_up(0)

    async def live_close(self, event: dict[str, Any]) -> None:
        """Support closed this socket (realtime.control); the page reconnects at once."""
        logger.info("socket of user %s closed by support (%s)", self.user_id, event.get("by", "staff"))
        await self.close_with(protocol.GOING_AWAY, "closed_by_support", "Support closed this connection; reconnect now.")

    async def layer_rejected(self, event: dict[str, Any]) -> None:
        """A forged channel-layer message, already logged by realtime.layers: ignore it."""

    async def send_heartbeat(self, version: int) -> None:
        """Called by the process's hub when it is this socket's turn (nothing before it is let in)."""
        if self.accepted:
            await self.send_message(protocol.heartbeat(version))

    async def send_message(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message))


class WatchConsumer(DashboardConsumer):
    """A staff member watching a learner's items (the support console's "view as learner"):
    the same messages as the learner's own socket, read-only, at ``/ws/support/learners/<id>/``."""

    async def connect(self) -> None:
        user = await self.authenticated()
        if user is None:
            return
        if not user.is_staff:
            await self.refuse(protocol.FORBIDDEN)
            return
        await self.open_for(int(self.scope["url_route"]["kwargs"]["learner_id"]), learner=False)
