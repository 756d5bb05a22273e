"""The Prometheus metrics every service exposes at /metrics, declared once per process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "BATCH_SIZE",
    "CONSUMER_LAG",
    "DEAD_LETTERED",
    "DEGRADED",
    "HANDLER_SECONDS",
    "OUTBOX_OLDEST_SECONDS",
    "OUTBOX_PUBLISHED",
    "OUTBOX_SET_ASIDE",
    "OUTBOX_WAITING",
    "PROCESSED",
    "PRUNED",
    "READY",
    "RETRIES",
    "TIMER_FAILURES",
]

PROCESSED = Counter(
    "lindung_records_processed",
    "Records handled (or skipped as a duplicate or a type this consumer ignores).",
    ["service", "consumer", "topic", "outcome"],
)
DEAD_LETTERED = Counter(
    "lindung_records_dead_lettered",
    "Records set aside with a reason, by failure class.",
    ["service", "consumer", "topic", "failure_class"],
)
RETRIES = Counter(
    "lindung_retries",
    "Retries after a failure, by where it happened and its class.",
    ["service", "component", "failure_class"],
)
HANDLER_SECONDS = Histogram(
    "lindung_handler_seconds",
    "Time to handle one record inside its batch transaction.",
    ["service", "consumer"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
BATCH_SIZE = Histogram(
    "lindung_batch_records",
    "Records per batch transaction.",
    ["service", "consumer"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
CONSUMER_LAG = Gauge(
    "lindung_consumer_lag",
    "Records on a partition not yet committed by the consumer group.",
    ["service", "consumer", "topic", "partition"],
)
OUTBOX_WAITING = Gauge("lindung_outbox_backlog", "Outbox rows waiting to be sent.", ["service"])
OUTBOX_OLDEST_SECONDS = Gauge(
    "lindung_outbox_oldest_seconds", "Age of the oldest outbox row waiting.", ["service"]
)
OUTBOX_SET_ASIDE = Gauge(
    "lindung_outbox_set_aside", "Outbox rows set aside: the broker refuses them.", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "lindung_outbox_published", "Outbox rows acknowledged by the broker.", ["service"]
)
PRUNED = Counter(
    "lindung_retention_pruned",
    "Rows deleted because retention no longer keeps them, by table.",
    ["service", "table"],
)
TIMER_FAILURES = Counter(
    "lindung_timer_failures", "Timer ticks that failed or timed out.", ["service", "timer"]
)
READY = Gauge(
    "lindung_ready", "1 when /health/ready answers 200 (it takes work), else 0.", ["service"]
)
DEGRADED = Gauge(
    "lindung_degraded",
    "1 while a concern of this kind holds (database, broker, outbox, consumer, task, check), "
    "whether or not it stops the service taking work; lindung_ready says whether it does.",
    ["service", "reason"],
)
