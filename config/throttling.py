"""The one limiter of every write path (the JSON API, the HTML checkout form, login, WebSocket
handshakes): windows counted on the shared cache's Redis, so a limit holds across every
process of the cluster.

A window starts at its first hit and lasts ``window`` seconds: its counter is one key that
expires then. Windows aligned to the clock (a key per minute) would let a burst that straddles
a boundary through twice, and reset a count between two hits a few milliseconds apart.

A hit is one command (``COUNT_HIT``, a script: INCR, EXPIRE when the counter is new, and the
seconds left when over the limit), the same for sync and async callers and on the cache's own
keys. Django's cache API would take three round trips (SET NX, EXISTS, INCR), each with a new
client object; a MULTI pipeline takes four commands and four replies, and the handshake limits'
pipelines were a seventh of a socket server's CPU in a connect storm (bench/notes.md, finding
42). A cache that cannot be reached lets the request through, logged: with Redis down a checkout
must still be taken (and parked for the broker), not answered 500.
"""
import logging
import os

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from config import aredis

logger = logging.getLogger(__name__)
CACHE_ERRORS = (redis.RedisError, OSError)


class SharedScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle (the view's ``throttle_scope``, its rate in DEFAULT_THROTTLE_RATES),
    counted by ``hit``: per learner, or per client address before sign-in."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        limit, window = _parsed(self.scope, self.get_rate())
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        self.seconds_left = hit(self.scope, str(ident), limit, window)
        return self.seconds_left is None

    def wait(self) -> float | None:
        return self.seconds_left


# One hit on a window's counter, atomically: 0 while the count is within the limit (ARGV[2]),
# else the seconds left in the window (ARGV[1] seconds from its first hit).
COUNT_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if count <= tonumber(ARGV[2]) then return 0 end
return math.max(redis.call('TTL', KEYS[1]), 1)
"""

# The same answer without counting (ARGV[1] is the limit), for limits on failures.
AT_LIMIT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count < tonumber(ARGV[1]) then return 0 end
return math.max(redis.call('TTL', KEYS[1]), 1)
"""

_clients: dict[tuple[int, str], redis.Redis] = {}


def _redis() -> redis.Redis:
    """This process's client of the cache's Redis (a forked child makes its own)."""
    location = str(settings.CACHES["default"]["LOCATION"])
    if (os.getpid(), location) not in _clients:
        _clients[os.getpid(), location] = redis.Redis.from_url(location, **settings.CACHES["default"].get("OPTIONS", {}))
    return _clients[os.getpid(), location]


def hit(scope: str, ident: str, limit: int, window: int) -> int | None:
    """Count one hit; None while within ``limit`` per ``window`` seconds, else the seconds until it ends."""
    try:
        left = int(_redis().eval(COUNT_HIT, 1, _key(scope, ident), window, limit))
    except CACHE_ERRORS as exc:
        logger.warning("%s limit not checked (the cache cannot be reached): %r", scope, exc)
        return None
    return left or None


async def ahit(scope: str, ident: str, limit: int, window: int) -> int | None:
    """``hit`` for async code (the WebSocket handshake), on the same key, with plain async
    Redis calls (config.aredis says why not the cache's own async methods)."""
    client = aredis.client(str(settings.CACHES["default"]["LOCATION"]))
    return int(await client.eval(COUNT_HIT, 1, _key(scope, ident), window, limit)) or None


def over(scope: str, ident: str, limit: int) -> int | None:
    """Like ``hit`` but counts nothing: for limits on failures, checked before the attempt."""
    try:
        return int(_redis().eval(AT_LIMIT, 1, _key(scope, ident), limit)) or None
    except CACHE_ERRORS as exc:
        logger.warning("%s limit not checked (the cache cannot be reached): %r", scope, exc)
        return None


def forget(scope: str, ident: str) -> None:
    try:
        _redis().delete(_key(scope, ident))
    except CACHE_ERRORS as exc:
        logger.warning("%s counter not reset (the cache cannot be reached): %r", scope, exc)


def rate(scope: str) -> tuple[int, int]:
    """A DRF rate of REST_FRAMEWORK's DEFAULT_THROTTLE_RATES ("30/min") as (limit, window seconds)."""
    return _parsed(scope, SimpleRateThrottle.THROTTLE_RATES[scope])


def _parsed(scope: str, text: str | None) -> tuple[int, int]:
    # parse_rate does not use its instance; DRF has no function of its own for it.
    limit, window = SimpleRateThrottle.parse_rate(None, text)  # type: ignore[arg-type]
    if limit is None or window is None:
        raise ImproperlyConfigured(f"DEFAULT_THROTTLE_RATES[{scope!r}] is not a rate like '30/min'")
    return limit, window


def _key(scope: str, ident: str) -> str:
    """A window's counter: a key of the cache, so its prefix and clean-up apply."""
    return cache.make_key(f"throttle:{scope}:{ident}")
