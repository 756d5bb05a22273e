"""The notifier's own Prometheus metrics, beside the ones every service exposes.

    lindung_delivery_attempts_total{channel,outcome}   attempts recorded: delivered, retry
                                                       (failed, tried again later) or
                                                       gave_up (no attempt left, or refused
                                                       for good)

Counted once an attempt's outcome is recorded, so an attempt a dispatcher lost to
another (its lease ran out) is not counted twice.
"""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["ATTEMPTS"]

ATTEMPTS = Counter(
    "lindung_delivery_attempts",
    "Delivery attempts recorded, by channel and outcome (delivered, retry, gave_up).",
    ["channel", "outcome"],
)
