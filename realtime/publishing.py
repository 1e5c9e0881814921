"""The one way events enter the channel layer.

Works from a Celery worker, a Django view and a management command alike
(``async_to_sync`` runs the send on the caller's loop, or a fresh one). A
failed publish is logged and reported, never raised: the database already
holds the truth, and open pages converge through the heartbeat's version.
"""
import logging
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

PUBLISH_ATTEMPTS = 2


def group_for_user(user_id: int) -> str:
    """The learner's group. Derived on the server only; a client never names one."""
    return f"learner.{int(user_id)}"


def publish_enrollment_update(user_id: int, enrollment: dict[str, Any], version: int) -> bool:
    """Send one enrollment change to every open socket of the learner. True if Redis took it."""
    message = {
        "type": "enrollment.updated",
        "enrollment": enrollment,
        "version": version,
        "published_at": time.time(),
    }
    layer = get_channel_layer()
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        try:
            async_to_sync(layer.group_send)(group_for_user(user_id), message)
        except Exception as exc:  # the layer raises whatever its Redis client raises
            logger.warning(
                "publish failed for user %s version %s (attempt %d/%d): %r",
                user_id, version, attempt, PUBLISH_ATTEMPTS, exc,
            )
            continue
        logger.info(
            "published %s %s for user %s version %s",
            enrollment["course_id"], enrollment["status"], user_id, version,
        )
        return True
    logger.error("publish gave up for user %s version %s; pages converge on heartbeat", user_id, version)
    return False


def on_enrollment_changed(
    sender: Any, user_id: int, enrollment: dict[str, Any], version: int, **kwargs: Any
) -> None:
    """Receiver of dashboard.signals.enrollment_changed (connected in RealtimeConfig.ready)."""
    publish_enrollment_update(user_id, enrollment, version)
