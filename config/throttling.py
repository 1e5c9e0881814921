"""The one limiter of the write paths that are not DRF views (the HTML checkout form, login,
WebSocket handshakes): fixed windows counted on the shared cache, so a limit holds across
every process of the cluster. The JSON API's throttle (``SharedScopedThrottle``) counts on the
same cache.

A cache that cannot be reached lets the request through, logged: with Redis down a checkout
must still be taken (and parked for the broker), not answered 500.
"""
import logging
import time

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
    """DRF's scoped throttle on the shared cache, open when the cache cannot be reached."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            logger.warning("throttle not checked (the cache cannot be reached): %r", exc)
            return True


def hit(scope: str, ident: str, limit: int, window: int) -> int | None:
    """Count one hit; None while within ``limit`` per ``window`` seconds, else the seconds until it ends."""
    key, left = _window(scope, ident, window)
    try:
        cache.add(key, 0, timeout=window + 1)
        return None if cache.incr(key) <= limit else left
    except CACHE_ERRORS as exc:
        logger.warning("%s limit not checked (the cache cannot be reached): %r", scope, exc)
        return None


async def ahit(scope: str, ident: str, limit: int, window: int) -> int | None:
    """``hit`` for async code (the WebSocket handshake), on the same cache key, with plain async
    Redis calls (config.aredis says why not the cache's own async methods)."""
    key, left = _window(scope, ident, window)
    async with aredis.client(str(settings.CACHES["default"]["LOCATION"])).pipeline(transaction=True) as pipe:
        pipe.incr(cache.make_key(key))
        pipe.expire(cache.make_key(key), window + 1)
        count, _ = await pipe.execute()
    return None if count <= limit else left


def over(scope: str, ident: str, limit: int, window: int) -> int | None:
    """Like ``hit`` but counts nothing: for limits on failures, checked before the attempt."""
    key, left = _window(scope, ident, window)
    try:
        return left if (cache.get(key) or 0) >= limit else None
    except CACHE_ERRORS as exc:
        logger.warning("%s limit not checked (the cache cannot be reached): %r", scope, exc)
        return None


def forget(scope: str, ident: str, window: int) -> None:
    try:
        cache.delete(_window(scope, ident, window)[0])
    except CACHE_ERRORS as exc:
        logger.warning("%s counter not reset (the cache cannot be reached): %r", scope, exc)


def rate(scope: str) -> tuple[int, int]:
    """A DRF rate of REST_FRAMEWORK's DEFAULT_THROTTLE_RATES ("30/min") as (limit, window seconds)."""
    # parse_rate does not use its instance; DRF has no function of its own for it.
    limit, window = SimpleRateThrottle.parse_rate(None, SimpleRateThrottle.THROTTLE_RATES[scope])  # type: ignore[arg-type]
    if limit is None or window is None:
        raise ImproperlyConfigured(f"DEFAULT_THROTTLE_RATES[{scope!r}] is not a rate like '30/min'")
    return limit, window


def _window(scope: str, ident: str, window: int) -> tuple[str, int]:
    now = int(time.time())
    start = now - now % window
    return f"throttle:{scope}:{ident}:{start}", start + window - now
