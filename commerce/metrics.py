"""Prometheus metrics of fulfillment."""
from prometheus_client import Counter, Histogram

FULFILLMENT_SECONDS = Histogram(
    "learnwell_fulfillment_duration_seconds", "One fulfillment attempt, by outcome", ["outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
FULFILLMENT_OUTCOMES = Counter("learnwell_fulfillment_outcomes_total", "Fulfillment attempts by outcome", ["outcome"])
