"""Operations endpoints: liveness, readiness and Prometheus metrics."""
import os

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client.registry import Collector
from redis.sentinel import Sentinel


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and Redis answer; 503 naming what does not."""
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    ready = all(checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": {k: "ok" if v else "failing" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if ready else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _redis_ok() -> bool:
    try:
        if settings.REDIS_SENTINELS:
            client = Sentinel(settings.REDIS_SENTINELS, socket_timeout=1).master_for(
                settings.REDIS_SENTINEL_MASTER, socket_timeout=1
            )
        else:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


# Collectors read at each scrape (the cluster's state: queue depth, stalled
# orders, workers); apps add theirs at start-up (support.apps).
SCRAPE_COLLECTORS: list[Collector] = []


def metrics_registry() -> CollectorRegistry:
    """This process's metrics, or every process of the host when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return PROCESS_REGISTRY


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format: the processes' samples, then the cluster's as read now."""
    body = generate_latest(metrics_registry())
    if SCRAPE_COLLECTORS:
        scraped = CollectorRegistry(auto_describe=False)
        for collector in SCRAPE_COLLECTORS:
            scraped.register(collector)
        body += generate_latest(scraped)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
