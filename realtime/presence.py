"""Cluster presence: every open socket of every server process, in Redis.

Each socket is a hash ``<prefix>:presence:socket:<channel>`` (learner, node, connected
since, last heartbeat, the version it was last sent, client build, transport)
and a member of its learner's sorted set ``...:presence:learner:<id>``, scored by
when it expires. The hub's heartbeat refreshes both; a crashed node's entries
age out after ``ttl()`` seconds. The per-learner socket limit counts this set,
so it holds across every node. Pages polling over HTTP while their socket is
down are noted in ``...:presence:pollers`` the same way.

Sockets write with the async client of their event loop; the support console
reads with a plain one.
"""
import time
from dataclasses import dataclass
from functools import cache
from typing import TypedDict, cast

import redis
from django.conf import settings

from config import aredis


def _key(name: str) -> str:
    """A key under the channel layer's prefix: two deployments (or test runs) sharing a Redis never mix."""
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG'].get('prefix', 'asgi')}:presence:{name}"


def ttl() -> float:
    """How long an entry lives without a refresh: three heartbeats (at least 10 s)."""
    return max(10.0, 3 * settings.REALTIME_HEARTBEAT_SECONDS)


@dataclass(frozen=True)
class Socket:
    channel: str
    user_id: int
    node: str
    connected: float
    beat: float
    version: int
    build: str
    transport: str




async def join(user_id: int, channel: str) -> int:
    """Register a socket; returns how many live sockets the learner has across the cluster, this one included."""
    now = time.time()
    async with aredis.client().pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(_key(f"learner:{user_id}"), 0, now)
        pipe.zadd(_key(f"learner:{user_id}"), {channel: now + ttl()})
        pipe.expire(_key(f"learner:{user_id}"), int(ttl()) + 1)
        pipe.hset(_key(f"socket:{channel}"), mapping={
            "user": user_id, "node": settings.REALTIME_NODE, "connected": now, "beat": now, "version": 0,
            "build": "", "transport": "socket",
        })
        pipe.expire(_key(f"socket:{channel}"), int(ttl()) + 1)
        pipe.zadd(_key("nodes"), {settings.REALTIME_NODE: now + ttl()})
        pipe.zcard(_key(f"learner:{user_id}"))
        results = await pipe.execute()
    return int(results[-1])


async def refresh(sockets: list[tuple[int, str, int, str]]) -> None:
    """The hub's heartbeat: (learner, channel, version sent, client build) of each socket it just beat."""
    if not sockets:
        return
    now = time.time()
    async with aredis.client().pipeline(transaction=False) as pipe:
        for user_id, channel, version, build in sockets:
            # xx: only sockets still registered (one may have left during the beat).
            pipe.zadd(_key(f"learner:{user_id}"), {channel: now + ttl()}, xx=True)
            pipe.expire(_key(f"learner:{user_id}"), int(ttl()) + 1)
            pipe.hset(_key(f"socket:{channel}"), mapping={"beat": now, "version": version, "build": build})
            pipe.expire(_key(f"socket:{channel}"), int(ttl()) + 1)
        pipe.zadd(_key("nodes"), {settings.REALTIME_NODE: now + ttl()})
        await pipe.execute()


async def leave(user_id: int, channel: str) -> None:
    async with aredis.client().pipeline(transaction=False) as pipe:
        pipe.zrem(_key(f"learner:{user_id}"), channel)
        pipe.delete(_key(f"socket:{channel}"))
        await pipe.execute()


async def count_deliveries(count: int) -> None:
    """Events this node sent on its sockets in the last second, added to the cluster's per-second count."""
    key = _key(f"deliveries:{int(time.time())}")
    async with aredis.client().pipeline(transaction=False) as pipe:
        pipe.incrby(key, count)
        pipe.expire(key, 120)
        await pipe.execute()


# --- Reads and HTTP pollers (plain client: views and the support console) -----------------------


@cache
def _sync_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)


def note_poller(user_id: int) -> None:
    """A page of the learner polled over HTTP (its socket is down)."""
    _sync_client().zadd(_key("pollers"), {str(user_id): time.time() + ttl()})


def _fields(key: str) -> dict[str, str]:
    """A hash's fields (the plain client decodes replies to str)."""
    return cast(dict[str, str], _sync_client().hgetall(key))


def _live_members(key: str, now: float) -> list[str]:
    """The members of a sorted set scored by expiry that have not expired."""
    return cast(list[str], _sync_client().zrangebyscore(key, now, "+inf"))


def sockets_of(user_id: int) -> list[Socket]:
    """The learner's live sockets across the cluster, oldest first."""
    found = []
    for channel in _live_members(_key(f"learner:{user_id}"), time.time()):
        fields = _fields(_key(f"socket:{channel}"))
        if "user" in fields:  # a socket that left while a beat refreshed it has only part of its hash
            found.append(Socket(
                channel=channel, user_id=int(fields["user"]), node=fields["node"],
                connected=float(fields["connected"]), beat=float(fields["beat"]), version=int(fields["version"]),
                build=fields.get("build", ""), transport=fields.get("transport", "socket"),
            ))
    return sorted(found, key=lambda socket: socket.connected)


def polling(user_id: int) -> bool:
    score = _sync_client().zscore(_key("pollers"), str(user_id))
    return score is not None and score > time.time()


class Overview(TypedDict):
    sockets_per_node: dict[str, int]
    sockets: list[tuple[int, str, int]]  # (learner, node, version sent)
    pollers: int
    deliveries_per_second: float


def overview() -> Overview:
    """Across the cluster: sockets per live node, every socket's (learner, node, version sent), how
    many learners poll over HTTP, and events delivered per second over the last minute."""
    client = _sync_client()
    now = time.time()
    client.zremrangebyscore(_key("pollers"), 0, now)
    per_node: dict[str, int] = {node: 0 for node in _live_members(_key("nodes"), now)}
    sockets: list[tuple[int, str, int]] = []
    for key in client.scan_iter(match=_key("socket:*"), count=1000):
        fields = _fields(key)
        if fields.get("node") in per_node and "user" in fields:
            per_node[fields["node"]] += 1
            sockets.append((int(fields["user"]), fields["node"], int(fields.get("version", 0))))
    seconds = range(int(now) - 59, int(now) + 1)  # the last 60 seconds, this one included
    delivered = sum(int(n) for n in client.mget([_key(f"deliveries:{second}") for second in seconds]) if n)
    return Overview(sockets_per_node=per_node, sockets=sockets, pollers=int(client.zcard(_key("pollers"))),
                    deliveries_per_second=round(delivered / 60, 2))
