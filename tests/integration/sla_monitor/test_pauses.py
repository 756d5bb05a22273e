"""A coordinator's pause stops a referral's clock; the resume moves every unfired step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lindung_contracts import DeadlineMissed, DeadlineWarning, ReferralPaused, ReferralResumed

pytestmark = pytest.mark.integration

WHO = {"coordinator_id": "coordinator-sel", "reason": "child_in_hospital"}


def _fired(report) -> list[tuple[str, int]]:
    out = []
    for event in report.fired:
        if isinstance(event.data, DeadlineWarning):
            out.append(("warning", event.data.percent_of_window))
        elif isinstance(event.data, DeadlineMissed):
            out.append(("missed", event.data.escalation_level))
    return out


async def test_nothing_fires_while_paused_and_the_ladder_moves_by_the_pause(
    monitor, fire_due, new_referral, outbox
):
    referral = new_referral()  # 4 h window: 50 % at 2 h, deadline at 4 h
    await monitor.deliver(referral.requested())
    assert _fired(await fire_due(referral.at_percent(50))) == [("warning", 50)]

    # Paused at 60 % for 10 hours: the deadline, the 75 % warning and every level pass.
    paused_at = referral.at_percent(60)
    await monitor.deliver(referral.fact(ReferralPaused, paused_at, **WHO))
    during = await fire_due(paused_at + timedelta(hours=9))
    assert _fired(during) == []

    resumed_at = paused_at + timedelta(hours=10)
    await monitor.deliver(referral.fact(ReferralResumed, resumed_at, paused_at=paused_at, **WHO))
    moved = timedelta(hours=10)
    # Nothing is due on resume: 40 % of the window was left, and it still is.
    assert _fired(await fire_due(resumed_at)) == []
    assert _fired(await fire_due(referral.at_percent(75) + moved)) == [("warning", 75)]
    (missed,) = [e.data for e in (await fire_due(referral.due_at + moved)).fired]
    assert missed.escalation_level == 1
    assert missed.due_at == referral.due_at + moved

    async with monitor.service.db.pool.acquire() as conn:
        pause = await conn.fetchrow(
            "SELECT paused_at, resumed_at FROM deadline_pauses WHERE referral_id = $1",
            referral.referral_id,
        )
    assert (pause["paused_at"], pause["resumed_at"]) == (paused_at, resumed_at)
    levels = [e.data.escalation_level for e in await outbox() if isinstance(e.data, DeadlineMissed)]
    assert levels == [1]


async def test_a_repeated_pause_or_resume_moves_the_clock_once(monitor, fire_due, new_referral):
    referral = new_referral()
    await monitor.deliver(referral.requested())
    paused_at = referral.at_percent(10)
    resumed_at = paused_at + timedelta(hours=1)
    # Each a new event (new id): the inbox does not hide the repeat, the state does.
    for _ in range(2):
        await monitor.deliver(referral.fact(ReferralPaused, paused_at, **WHO))
    for _ in range(2):
        await monitor.deliver(
            referral.fact(ReferralResumed, resumed_at, paused_at=paused_at, **WHO)
        )

    # Moved by exactly one hour: just before the moved deadline only the warnings are due.
    early = await fire_due(referral.due_at + timedelta(minutes=59))
    assert _fired(early) == [("warning", 50), ("warning", 75)]
    assert _fired(await fire_due(referral.due_at + timedelta(hours=1))) == [("missed", 1)]
