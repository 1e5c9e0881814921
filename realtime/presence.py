"""Cluster presence: every open socket of every server process, in Redis.

Each socket is a hash ``<prefix>:presence:socket:<channel>`` (learner, node, connected
since, last heartbeat, the version it was last sent, client build, transport)
and a member of its learner's sorted set ``...:presence:learner:<id>``, scored by
when it expires. The hub's heartbeat refreshes both; a crashed node's entries
age out after ``ttl()`` seconds. The per-learner socket limit counts this set,
so it holds across every node. Pages polling over HTTP while their socket is
down are noted in ``...:presence:pollers`` the same way.

Sockets write with the async client of their event loop, each write one script call
(JOIN, REFRESH): redis-py's packing of a pipeline's commands and parsing of their replies
was a quarter of an idle socket server's CPU (bench/notes.md, finding 44). The support
console reads with a plain client.
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


# A socket joins, atomically: the learner's expired sockets dropped, this one added (the learner's
# set, the socket's hash, the node's mark), and the learner's count of live sockets returned.
# KEYS: learner's set, socket's hash, nodes. ARGV: now, expiry, ttl, channel, learner, node.
JOIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], 'user', ARGV[5], 'node', ARGV[6], 'connected', ARGV[1], 'beat', ARGV[1],
           'version', 0, 'build', '', 'transport', 'socket')
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[6])
return redis.call('ZCARD', KEYS[1])
"""

# The hub's heartbeat for a batch of sockets. KEYS: nodes, then each socket's learner set and hash.
# ARGV: expiry, ttl, node, now, then each socket's channel, version sent and client build.
# XX: only sockets still registered (one may have left during the beat).
REFRESH = """
local expires, ttl, now = ARGV[1], ARGV[2], ARGV[4]
for i = 2, #KEYS, 2 do
  local at = 5 + (i - 2) / 2 * 3
  redis.call('ZADD', KEYS[i], 'XX', expires, ARGV[at])
  redis.call('EXPIRE', KEYS[i], ttl)
  redis.call('HSET', KEYS[i + 1], 'beat', now, 'version', ARGV[at + 1], 'build', ARGV[at + 2])
  redis.call('EXPIRE', KEYS[i + 1], ttl)
end
redis.call('ZADD', KEYS[1], expires, ARGV[3])
"""


async def join(user_id: int, channel: str) -> int:
    """Register a socket; returns how many live sockets the learner has across the cluster, this one included."""
    now = time.time()
    keys = [_key(f"learner:{user_id}"), _key(f"socket:{channel}"), _key("nodes")]
    count = await aredis.client().eval(JOIN, len(keys), *keys, now, now + ttl(), int(ttl()) + 1, channel, user_id,
                                       settings.REALTIME_NODE)
    return int(count)


async def refresh(sockets: list[tuple[int, str, int, str]]) -> None:
    """The hub's heartbeat: (learner, channel, version sent, client build) of each socket it just beat."""
    if not sockets:
        return
    now = time.time()
    keys = [_key("nodes")]
    args: list[str | int | float] = [now + ttl(), int(ttl()) + 1, settings.REALTIME_NODE, now]
    for user_id, channel, version, build in sockets:
        keys += [_key(f"learner:{user_id}"), _key(f"socket:{channel}")]
        args += [channel, version, build]
    await aredis.client().eval(REFRESH, len(keys), *keys, *args)


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
