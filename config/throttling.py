"""The one limiter of the write paths that are not DRF views (the HTML checkout form, login,
WebSocket handshakes): fixed windows counted on the shared cache, so a limit holds across
every process of the cluster. The JSON API's DRF throttles count on the same cache.
"""
import time

from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle


def hit(scope: str, ident: str, limit: int, window: int) -> int | None:
    """Count one hit; None while within ``limit`` per ``window`` seconds, else the seconds until it ends."""
    key, left = _window(scope, ident, window)
    cache.add(key, 0, timeout=window + 1)
    return None if cache.incr(key) <= limit else left


async def ahit(scope: str, ident: str, limit: int, window: int) -> int | None:
    """``hit`` for async code (the WebSocket handshake)."""
    key, left = _window(scope, ident, window)
    await cache.aadd(key, 0, timeout=window + 1)
    return None if await cache.aincr(key) <= limit else left


def over(scope: str, ident: str, limit: int, window: int) -> int | None:
    """Like ``hit`` but counts nothing: for limits on failures, checked before the attempt."""
    key, left = _window(scope, ident, window)
    return left if (cache.get(key) or 0) >= limit else None


def forget(scope: str, ident: str, window: int) -> None:
    cache.delete(_window(scope, ident, window)[0])


def rate(scope: str) -> tuple[int, int]:
    """A DRF rate of REST_FRAMEWORK's DEFAULT_THROTTLE_RATES ("30/min") as (limit, window seconds)."""
    return SimpleRateThrottle.parse_rate(None, SimpleRateThrottle.THROTTLE_RATES[scope])


def _window(scope: str, ident: str, window: int) -> tuple[str, int]:
    now = int(time.time())
    start = now - now % window
    return f"throttle:{scope}:{ident}:{start}", start + window - now
