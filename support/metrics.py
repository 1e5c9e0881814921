"""Metrics of the cluster as a whole, read at each scrape of ``/metrics``: the queue's depth, orders
that are stalled or parked, workers answering, sockets per node and HTTP pollers (from presence)."""
import logging
from collections.abc import Iterator

from django.conf import settings
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from commerce import dispatch
from commerce import selectors as order_selectors
from config.celery import app
from realtime import presence

logger = logging.getLogger(__name__)


def queue_depth(queue: str) -> int:
    """Tasks waiting in the broker's queue (Redis list or RabbitMQ queue)."""
    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
        return connection.default_channel.queue_declare(queue=queue, passive=True).message_count


class ClusterCollector:
    def collect(self) -> Iterator[Metric]:
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        depth = GaugeMetricFamily("learnwell_queue_depth", "Fulfillment tasks waiting in the broker", labels=["queue"])
        broker_up = GaugeMetricFamily("learnwell_broker_up", "1 when the broker answered this scrape")
        try:
            depth.add_metric([queue], queue_depth(queue))
            broker_up.add_metric([], 1)
        except Exception as exc:  # kombu raises the transport's own errors
            logger.warning("queue depth unavailable: %r", exc)
            broker_up.add_metric([], 0)
        yield depth
        yield broker_up
        workers = GaugeMetricFamily("learnwell_workers_up", "Celery workers that answered a ping this scrape")
        try:
            workers.add_metric([], len(app.control.ping(timeout=0.5) or []))
        except Exception as exc:
            logger.warning("worker ping failed: %r", exc)
            workers.add_metric([], 0)
        yield workers
        yield GaugeMetricFamily(
            "learnwell_orders_stalled", "Open orders overdue by more than the stall threshold",
            value=len(order_selectors.stalled_orders(dispatch.stall_threshold())),
        )
        yield GaugeMetricFamily(
            "learnwell_orders_parked", "Orders the broker refused, waiting for the relay",
            value=order_selectors.parked_count(),
        )
        sockets = GaugeMetricFamily("learnwell_presence_sockets", "Open sockets by node (cluster presence)",
                                    labels=["node"])
        pollers = GaugeMetricFamily("learnwell_http_pollers", "Learners whose pages poll over HTTP")
        try:
            seen = presence.overview()
            for node, count in seen["sockets_per_node"].items():
                sockets.add_metric([node], count)
            pollers.add_metric([], seen["pollers"])
        except Exception as exc:  # redis errors: the scrape still answers
            logger.warning("presence unavailable: %r", exc)
        yield sockets
        yield pollers
