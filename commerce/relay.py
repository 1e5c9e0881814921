"""The relay: a thread in every Celery worker that gets parked and stalled orders to the broker.

It runs beside the worker's consumer, not through the broker, so it keeps
trying while the broker is down and sends a parked order within a second of
the broker answering again. Every worker runs one; the claims in
``commerce.dispatch`` keep two relays from sending the same order.
"""
import logging
import threading
import time

from celery import bootsteps
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from commerce import dispatch

logger = logging.getLogger(__name__)


class Relay:
    """Every ``FULFILLMENT_RELAY_SECONDS``: relay parked orders; every ``FULFILLMENT_SWEEP_SECONDS``: resend stalled ones."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fulfillment-relay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        logger.info("fulfillment relay started")
        next_sweep = time.monotonic()
        while not self._stop.wait(settings.FULFILLMENT_RELAY_SECONDS):
            close_old_connections()
            try:
                dispatch.relay_parked()
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + settings.FULFILLMENT_SWEEP_SECONDS
                    dispatch.resend_stalled()
            except DatabaseError as exc:
                logger.warning("fulfillment relay: database unavailable (%s); trying again", exc)


class RelayStep(bootsteps.StartStopStep):
    """Runs the relay for the worker's lifetime (added to ``app.steps["worker"]`` in config.celery).

    It starts after the pool, so prefork children are not forked holding the relay's database connection.
    """

    requires = {"celery.worker.components:Pool"}

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.enabled = settings.FULFILLMENT_RELAY_SECONDS > 0

    def create(self, worker) -> Relay:
        return Relay()
