"""kombu's Redis transports (plain and Sentinel), with one fix: a worker that loses Redis while
it holds tasks survives.

When the broker connection breaks, Celery's consumer first collects the connection
(closing its channel fails half-way: Redis refuses) and detaches the transport from
it, then closes the connection again. The second close restores the channel's
unacknowledged messages, and kombu 5.7.0 builds a Redis client for that from the
detached transport: AttributeError, which kills the worker (the threads pool, with
many tasks in flight in one process, met it in most runs of tests/e2e/test_faults.py
and in a Sentinel failover). A detached channel cannot reach Redis, so it says so with
the connection error kombu's close and ack paths already expect. Nothing is lost:
Redis still lists the messages as unacknowledged and restores them after the
visibility timeout, and commerce.relay sends an order whose fulfillment is overdue
again.
"""
import redis as redis_py
from kombu.transport import TRANSPORT_ALIASES, redis


class Channel(redis.Channel):
    """A channel whose transport was detached from its connection refuses to connect."""

    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection is None or self.connection.client is None:
            raise redis_py.ConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous)


class SentinelChannel(Channel, redis.SentinelChannel):
    pass


class Transport(redis.Transport):
    Channel = Channel


class SentinelTransport(redis.SentinelTransport):
    Channel = SentinelChannel


def use_for_redis_urls() -> None:
    """Make ``redis://``, ``rediss://`` and ``sentinel://`` broker URLs use these transports
    (kombu looks a URL's scheme up in this table when it connects, so a broker URL set later
    is covered too)."""
    TRANSPORT_ALIASES["redis"] = TRANSPORT_ALIASES["rediss"] = f"{__name__}:Transport"
    TRANSPORT_ALIASES["sentinel"] = f"{__name__}:SentinelTransport"
