"""The sla-monitor's own Prometheus metrics, beside the ones every service exposes.

    lindung_deadline_firing_lateness_seconds{kind}   how long after its time a step fired
    lindung_deadline_steps_fired_total{kind,level}   warnings and escalations raised
    lindung_deadline_breaches_total                  referrals whose deadline passed unaccepted
    lindung_open_referrals{state}                    referrals awaiting acceptance (running, paused)

A step's time is when it is due to fire: a warning at its time, an escalation at its
time plus the answer grace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_contracts import DeadlineMissed, DeadlineWarning
from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from datetime import timedelta

__all__ = ["BREACHES", "FIRING_LATENESS", "OPEN_REFERRALS", "STEPS_FIRED", "count_fired"]

FIRING_LATENESS = Histogram(
    "lindung_deadline_firing_lateness_seconds",
    "How long after it was due a warning or escalation was raised.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
STEPS_FIRED = Counter(
    "lindung_deadline_steps_fired", "Warnings and escalations raised.", ["kind", "level"]
)
BREACHES = Counter(
    "lindung_deadline_breaches",
    "Referrals whose acceptance deadline passed unaccepted (level 1 fired, or was skipped for a"
    " higher level after downtime).",
)
OPEN_REFERRALS = Gauge(
    "lindung_open_referrals", "Referrals awaiting acceptance, by clock state.", ["state"]
)


def count_fired(fact: DeadlineWarning | DeadlineMissed, lateness: timedelta) -> None:
    """Count a raised warning or escalation, and how late it went out."""
    kind = "escalation" if isinstance(fact, DeadlineMissed) else "warning"
    level = str(fact.escalation_level) if isinstance(fact, DeadlineMissed) else "0"
    FIRING_LATENESS.labels(kind).observe(max(lateness.total_seconds(), 0.0))
    STEPS_FIRED.labels(kind, level).inc()
    if isinstance(fact, DeadlineMissed) and fact.escalation_level == 1:
        BREACHES.inc()
