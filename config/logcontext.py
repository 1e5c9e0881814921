"""The order a log line belongs to, carried from checkout through the task to the push.

``order_context`` is set where an order's work starts (checkout, a payment
notification, the fulfillment task); every log line in that context, the
publish included, shows ``order=<number>``.
"""
import logging
from contextvars import ContextVar

order_context: ContextVar[str] = ContextVar("order", default="-")


class OrderContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.order = order_context.get()
        return True
