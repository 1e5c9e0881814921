"""The async Redis client of the running event loop: one per server process (one per test loop
in tests), with a bounded pool, for the per-socket work of the socket servers (cluster presence,
handshake limits).

Plain async calls on purpose: Django's async cache runs each call on a thread
(sync_to_async), and what that leaves behind per call are reference cycles,
which a socket server whose full collections are frozen out (realtime.collector)
would keep: 130 blocks a handshake, measured.
"""
import asyncio
import weakref

import redis.asyncio
from django.conf import settings

POOL_SIZE = 8

_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, redis.asyncio.Redis]]" = (
    weakref.WeakKeyDictionary()
)


def client(url: str | None = None) -> redis.asyncio.Redis:
    """The client of ``url`` (REDIS_URL by default) for the running loop."""
    url = url or settings.REDIS_URL
    clients = _clients.setdefault(asyncio.get_running_loop(), {})
    if url not in clients:
        # A thousand sockets connecting at once wait their turn for one of a few
        # connections, instead of each opening its own (and keeping it).
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=POOL_SIZE, timeout=10
        )
        clients[url] = redis.asyncio.Redis(connection_pool=pool)
    return clients[url]
