"""The one way events enter the channel layer.

Works from a Celery worker, a Django view and a management command alike: the
send runs on one long-lived event loop per process (a daemon thread), so
publishes reuse the layer's Redis connections instead of opening a new loop
and connection each time (``async_to_sync`` from plain sync code would). A
failed publish is logged and reported, never raised: the database already
holds the truth, and open pages converge through the heartbeat's version.
"""
import asyncio
import logging
import os
import threading
import time
from collections.abc import Coroutine
from typing import Any

from channels.layers import get_channel_layer

from config.live import WireItem
from config.logcontext import order_context, request_context
from realtime import items, metrics

logger = logging.getLogger(__name__)

PUBLISH_ATTEMPTS = 2
PUBLISH_TIMEOUT_SECONDS = 5


class _PublisherLoop:
    """An event loop on a daemon thread, started on first use in each process (fork-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None

    def run(self, coroutine: Coroutine, timeout: float) -> Any:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(target=self._loop.run_forever, name="publisher-loop", daemon=True).start()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)


_publisher_loop = _PublisherLoop()


def run_on_layer(coroutine: Coroutine) -> Any:
    """Run one channel-layer call from sync code, on this process's publisher loop."""
    return _publisher_loop.run(coroutine, PUBLISH_TIMEOUT_SECONDS)


def group_for_user(user_id: int) -> str:
    """The learner's group. Derived on the server only; a client never names one."""
    return f"learner.{int(user_id)}"


def publish_item(user_id: int, kind: str, item: WireItem) -> bool:
    """Send one live item's change to every open socket of the learner. True if Redis took it."""
    version = item["version"]
    message = {
        "type": "item.updated", **items.envelope(kind, item), "version": version, "published_at": time.time(),
        # Where the change came from, for the delivery's log line (config.logcontext).
        "request_id": request_context.get(), "order": order_context.get(),
    }
    layer = get_channel_layer()
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        try:
            _publisher_loop.run(layer.group_send(group_for_user(user_id), message), PUBLISH_TIMEOUT_SECONDS)
        except Exception as exc:  # the layer raises whatever its Redis client raises
            logger.warning(
                "publish failed for user %s version %s (attempt %d/%d): %r",
                user_id, version, attempt, PUBLISH_ATTEMPTS, exc,
            )
            continue
        metrics.EVENTS_PUBLISHED.labels("ok").inc()
        logger.info("published %s %s (%s) for user %s version %s",
                    kind, message["key"], item.get("status", "changed"), user_id, version)
        return True
    metrics.EVENTS_PUBLISHED.labels("failed").inc()
    logger.error("publish gave up for user %s version %s; pages converge on heartbeat", user_id, version)
    return False


def on_item_changed(sender: Any, kind: str, user_id: int, item: WireItem, **kwargs: Any) -> None:
    """Receiver of config.live.item_changed (connected in RealtimeConfig.ready)."""
    publish_item(user_id, kind, item)
