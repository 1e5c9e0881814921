"""The Celery app. Its settings are the ``CELERY_*`` names in config.settings."""
import functools
import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun, worker_init, worker_process_init, worker_ready
from celery.worker.consumer import Consumer
from django.db import close_old_connections

from config import broker
from config.logcontext import CARRIED, actor_context, reset_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# A worker whose broker went away retries it every 1-2 s (kombu's default waits
# 2, 4, 6 ... up to 30 s between tries, so the worker could come back up to 30 s
# after the broker did).
RECONNECT = {"interval_start": 1, "interval_step": 1, "interval_max": 2}


class PromptConsumer(Consumer):
    """The worker's consumer, reconnecting to its broker at ``RECONNECT`` intervals."""

    def ensure_connected(self, conn):
        conn.ensure_connection = functools.partial(conn.ensure_connection, **RECONNECT)
        return super().ensure_connected(conn)


broker.use_for_redis_urls()
app = Celery("learnpush")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.worker_consumer = "config.celery:PromptConsumer"
app.autodiscover_tasks()
# Every worker runs the relay that gets parked and stalled orders to the broker.
app.steps["worker"].add("commerce.relay:RelayStep")

# Celery's Django fixup closes the database connection before and after every
# task, whatever DATABASE_CONN_MAX_AGE says: on PostgreSQL that was a new
# connection (a new server process) per order, about 15 ms of latency and most
# of the database's CPU per order (docs/performance.md). A task is treated like
# a request instead: the connection is kept for DATABASE_CONN_MAX_AGE, checked
# before reuse, and dropped when it broke. (The fixup's own recycling, every
# 2 x CELERY_DB_REUSE_MAX tasks, is pushed out of the way.)
app.conf["CELERY_DB_REUSE_MAX"] = 2**31


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(**kwargs) -> None:
    close_old_connections()


@before_task_publish.connect
def _carry_context(headers: dict, **kwargs) -> None:
    """Put the enqueuing process's request id, actor and order on the task message."""
    for header, var in CARRIED.items():
        headers.setdefault(header, var.get())


@task_prerun.connect
def _restore_context(task, **kwargs) -> None:
    """Run the task with the request id and order it was enqueued with; the actor is the worker."""
    for header, var in CARRIED.items():
        value = getattr(task.request, header, None)
        if value:
            var.set(value)
    actor_context.set("worker")


@task_postrun.connect
def _reset_context(**kwargs) -> None:
    """A task's order and request id end with it: the next log lines (the relay's sweep) are not theirs."""
    reset_context()


@worker_init.connect
def _serve_metrics(**kwargs) -> None:
    """With METRICS_PORT set, the worker serves its metrics (a prefork pool's processes' too, with
    PROMETHEUS_MULTIPROC_DIR) for Prometheus to scrape; workers serve no other HTTP."""
    port = os.environ.get("METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        from config.ops import metrics_registry

        start_http_server(int(port), registry=metrics_registry())


@worker_ready.connect
@worker_process_init.connect
def _freeze_start_up(**kwargs) -> None:
    """Once the tasks and Django are loaded (a prefork pool's processes: once forked), full
    collections need not walk them again (realtime.collector.freeze_start_up)."""
    from realtime import collector

    collector.freeze_start_up()
