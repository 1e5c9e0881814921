"""What a log line belongs to, carried from checkout through the task to the push.

Three context variables: the ``request_id`` of the HTTP request (or task)
whose work it is, the ``actor`` doing it (``learner:ada``, ``worker``,
``service:fulfiller``, ``staff:grace``; the change log records it) and the
``order`` being worked on. The request middleware sets the first two, checkout
and the fulfillment task the order; config.celery carries the id and order from the
process that enqueues a task into the worker that runs it (the actor there is
``worker``). Every log line
shows them: as text for the demo, as one JSON object per line with
``LOG_FORMAT=json``.
"""
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

order_context: ContextVar[str] = ContextVar("order", default="-")
actor_context: ContextVar[str] = ContextVar("actor", default="system")
request_context: ContextVar[str] = ContextVar("request_id", default="-")

# What a task carries from the process that enqueued it (config.celery); in
# the worker, the actor is the worker.
CARRIED = {"learnwell_request_id": request_context, "learnwell_order": order_context}


def reset_context() -> None:
    """Back to no request, no order, the system acting (after a task, in a long-lived thread)."""
    request_context.set("-")
    order_context.set("-")
    actor_context.set("system")


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Do the block's work as ``actor`` (recorded in the change log and the logs)."""
    token = actor_context.set(actor)
    try:
        yield
    finally:
        actor_context.reset(token)


@contextmanager
def carried(message: dict) -> Iterator[None]:
    """Log inside the block with the request id and order a message carries (a published event)."""
    tokens = [(var, var.set(message[name])) for name, var in (("request_id", request_context), ("order", order_context))
              if message.get(name)]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class OrderContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.order = order_context.get()
        record.actor = actor_context.get()
        record.request_id = request_context.get()
        return True


# Fields a log call may add with ``extra=`` that the JSON lines carry.
EXTRA_FIELDS = ("user", "version", "kind", "key", "node")


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``LOG_FORMAT=json``)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "actor": getattr(record, "actor", "system"),
            "order": getattr(record, "order", "-"),
        }
        line.update({name: getattr(record, name) for name in EXTRA_FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RequestContextMiddleware:
    """Give each request an id (the caller's ``X-Request-ID`` if it is sane) and an actor; echo the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if given.isascii() and given.replace("-", "").isalnum() and len(given) <= 64 else ""
        request_id = request_id or uuid.uuid4().hex[:16]
        user = getattr(request, "user", None)
        actor = f"learner:{user.get_username()}" if user is not None and user.is_authenticated else "anonymous"
        tokens = (request_context.set(request_id), actor_context.set(actor), order_context.set("-"))
        try:
            response = self.get_response(request)
        finally:
            for var, token in zip((request_context, actor_context, order_context), tokens, strict=True):
                var.reset(token)
        response["X-Request-ID"] = request_id
        return response
