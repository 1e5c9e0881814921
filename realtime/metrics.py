"""Prometheus metrics of the push path (Channels itself ships none).

With PROMETHEUS_MULTIPROC_DIR set (``make run`` sets it), every process on the
host (Daphne, Celery workers) writes its samples there and ``/metrics``
serves them all.
"""
import logging

from prometheus_client import Counter, Gauge, Histogram

SOCKETS_OPEN = Gauge(
    "learnwell_sockets_open", "Open dashboard WebSockets", multiprocess_mode="livesum"
)
EVENTS_PUBLISHED = Counter(
    "learnwell_events_published_total", "Live item changes handed to the channel layer", ["outcome"]
)
EVENTS_DELIVERED = Counter("learnwell_events_delivered_total", "Live item changes sent on a socket")
PUBLISH_TO_SEND = Histogram(
    "learnwell_publish_to_send_seconds",
    "From the publishing function to the frame being sent on the socket",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CATCHUP_SIZE = Histogram(
    "learnwell_catchup_items", "Live items sent in one catch-up", buckets=(0, 1, 2, 5, 10, 20, 50, 100, 500)
)
LAG_REPAIRS = Counter(
    "learnwell_lag_repairs_total",
    "Catch-ups the hub sent because a socket still lacked a committed version (its event was lost)",
)
LAYER_DROPS = Counter(
    "learnwell_layer_messages_dropped_total",
    "Group messages channels-redis dropped because a member channel was over capacity",
)

_OVER_CAPACITY = "%s of %s channels over capacity in group %s"


class LayerDropCounter(logging.Filter):
    """channels-redis reports capacity drops only in a log line; count them from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == _OVER_CAPACITY and isinstance(record.args, tuple) and record.args:
            LAYER_DROPS.inc(int(str(record.args[0])))
        return True


def count_layer_drops() -> None:
    """Attach the counter to channels-redis's logger (at WARNING-visible INFO)."""
    channels_logger = logging.getLogger("channels_redis.core")
    if not any(isinstance(f, LayerDropCounter) for f in channels_logger.filters):
        channels_logger.addFilter(LayerDropCounter())
        channels_logger.setLevel(logging.INFO)

LOOP_STALL = Histogram(
    "learnwell_event_loop_stall_seconds",
    "How late the socket server's event loop ran a timer that was due (realtime.stalls)",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

GC_PAUSE = Histogram(
    "learnwell_gc_pause_seconds",
    "Garbage-collection pauses of the socket server, by generation",
    ["generation"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
