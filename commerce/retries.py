"""What happens after a failed fulfillment attempt: the one retry policy.

Transient errors (the course platform, a database that is briefly
unreachable) are retried with exponential backoff and jitter; after
``FULFILLMENT_MAX_RETRIES`` retries the order is given up with a reason the
learner's tile shows.
"""
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError

from commerce.platform import TransientFulfillmentError

RETRYABLE = (TransientFulfillmentError, DatabaseError)
GENERIC_REASON = "The seat could not be prepared. Please try again."


@dataclass(frozen=True)
class Decision:
    """Retry after ``delay`` seconds, or (``give_up``) stop with ``reason``."""

    give_up: bool
    delay: float = 0.0
    reason: str = ""


def after_failure(retries_so_far: int, error: Exception) -> Decision:
    if retries_so_far >= settings.FULFILLMENT_MAX_RETRIES:
        reason = str(error) if isinstance(error, TransientFulfillmentError) else GENERIC_REASON
        return Decision(give_up=True, reason=reason)
    return Decision(
        give_up=False,
        delay=retry_delay(
            retries_so_far, settings.FULFILLMENT_RETRY_BACKOFF_SECONDS, settings.FULFILLMENT_RETRY_BACKOFF_MAX_SECONDS
        ),
    )


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    Exponential with jitter: a random point in the upper half of
    ``min(cap, base * 2**attempt)``, so the wait still grows while a burst of
    failures does not come back all at once.
    """
    ceiling = min(cap, base * (2**attempt))
    return (rng or random).uniform(ceiling / 2, ceiling)
