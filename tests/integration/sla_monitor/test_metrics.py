"""What operations read at /metrics: steps fired, breaches, firing lateness, open referrals."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from lindung_common import Outcome
from prometheus_client import REGISTRY

pytestmark = pytest.mark.integration


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_firing_is_counted_with_its_lateness_and_open_referrals_are_gauged(
    monitor, scheduler, fire_due, new_referral
):
    referral = new_referral()
    assert await monitor.deliver(referral.requested()) == [Outcome.PROCESSED]
    warnings = _value("lindung_deadline_steps_fired_total", kind="warning", level="0")
    breaches = _value("lindung_deadline_breaches_total")
    late = _value("lindung_deadline_firing_lateness_seconds_count", kind="escalation")
    within_half_a_second = _value(
        "lindung_deadline_firing_lateness_seconds_bucket", kind="escalation", le="0.5"
    )

    await fire_due(referral.at_percent(50))  # exactly on time
    await fire_due(referral.due_at + timedelta(seconds=2))  # level 1, two seconds late

    # The 50 % warning; the 75 % one is skipped as stale once the deadline has passed.
    assert _value("lindung_deadline_steps_fired_total", kind="warning", level="0") == warnings + 1
    assert _value("lindung_deadline_breaches_total") == breaches + 1
    assert _value("lindung_deadline_firing_lateness_seconds_count", kind="escalation") == late + 1
    # Two seconds late: counted above the half-second bucket, not in it.
    assert (
        _value("lindung_deadline_firing_lateness_seconds_bucket", kind="escalation", le="0.5")
        == within_half_a_second
    )

    assert await scheduler(monitor).count_open() == (
        1,
        0,
    )  # level 1 fired; still unaccepted, still open
    transport = httpx.ASGITransport(app=monitor.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as client:
        text = (await client.get("/metrics")).text
    assert 'lindung_open_referrals{state="running"} 1.0' in text
    assert "lindung_deadline_firing_lateness_seconds_bucket" in text
