"""The sla-monitor's own Prometheus metrics, beside the ones every service exposes.

    lindung_deadline_firing_lateness_seconds{kind}   how long after its time a step fired
    lindung_deadline_steps_fired_total{kind,level}   warnings and escalations raised
    lindung_deadline_breaches_total                  referrals whose deadline passed unaccepted
    lindung_open_referrals{state}                    referrals awaiting acceptance (running, paused)

A step's time is when it is due to fire: a warning at its time, an escalation at its
time plus the answer grace.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["BREACHES", "FIRING_LATENESS", "OPEN_REFERRALS", "STEPS_FIRED"]

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
    "Referrals whose acceptance deadline passed unaccepted (their level-1 escalation fired).",
)
OPEN_REFERRALS = Gauge(
    "lindung_open_referrals", "Referrals awaiting acceptance, by clock state.", ["state"]
)
