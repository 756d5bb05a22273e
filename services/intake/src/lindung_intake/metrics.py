"""Intake's own Prometheus metrics, beside the ones every service exposes.

lindung_referral_waits                    requests waiting for a referral intake has
not heard of yet, in this process
lindung_referral_waits_refused_total{bound}  requests refused with 429 at a bound
(`key`: per API key; `overall`)
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = ["WAITS", "WAITS_REFUSED"]

WAITS = Gauge(
    "lindung_referral_waits",
    "Requests waiting for a referral intake has not heard of yet.",
)
WAITS_REFUSED = Counter(
    "lindung_referral_waits_refused",
    "Requests refused with 429 because too many were waiting (per key or overall).",
    ["bound"],
)
