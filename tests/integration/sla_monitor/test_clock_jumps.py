"""The leader's scheduler when this host's wall clock jumps and PostgreSQL's clock does not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common import Outcome
from lindung_contracts import DeadlineWarning, RecipientRole, StepKind

pytestmark = pytest.mark.integration

HOUR = timedelta(hours=1)
ON_TIME = 0.25  # seconds a step may fire after its time
WARNING = ((StepKind.WARNING, 0, 50, RecipientRole.PROVIDER),)


class JumpingWall:
    """The wall clock, off by whatever the test sets: a step of this host's clock."""

    def __init__(self) -> None:
        self.off = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.off


async def _turn_with_a_jump(start_monitor, new_referral, jump: timedelta):
    """One 3 s turn of the scheduler, the wall clock jumping by `jump` 0.3 s into it.

    Two referrals are open, with a warning due 1 s and 1 h after the turn starts.
    """
    wall = JumpingWall()
    runtime = await start_monitor(wall=wall, tick_seconds=3)
    now = datetime.now(UTC)
    soon = new_referral(requested_at=now, window=timedelta(seconds=2))
    later = new_referral(requested_at=now, window=2 * HOUR)
    for referral in (soon, later):
        assert await runtime.deliver(referral.requested(WARNING)) == [Outcome.PROCESSED]
    (timer,) = [t for t in runtime.service.timers if t.name == "fire-due-steps"]

    turn = asyncio.create_task(timer.run())
    await asyncio.sleep(0.3)
    wall.off = jump
    await turn
    return runtime, soon, later


async def test_a_jump_forward_fires_nothing_early_and_the_next_step_on_time(
    start_monitor, new_referral, outbox
):
    runtime, soon, later = await _turn_with_a_jump(start_monitor, new_referral, HOUR)

    fired = await outbox(via=runtime)
    # By the jumped clock the warning an hour away would be due, and the other one stale.
    assert [(type(e.data), e.data.referral_id) for e in fired] == [
        (DeadlineWarning, soon.referral_id)
    ]
    lateness = (fired[0].data.fired_at - soon.at_percent(50)).total_seconds()
    assert 0 <= lateness < ON_TIME, lateness
    async with runtime.service.db.pool.acquire() as conn:
        state = await conn.fetchval(
            "SELECT state FROM deadline_steps WHERE referral_id = $1", later.referral_id
        )
    assert state == "pending"


async def test_after_a_jump_back_the_next_step_still_fires_on_time(
    start_monitor, new_referral, outbox
):
    runtime, soon, _ = await _turn_with_a_jump(start_monitor, new_referral, -HOUR)

    fired = await outbox(via=runtime)
    assert [(type(e.data), e.data.referral_id) for e in fired] == [
        (DeadlineWarning, soon.referral_id)
    ]
    lateness = (fired[0].data.fired_at - soon.at_percent(50)).total_seconds()
    assert 0 <= lateness < ON_TIME, lateness
