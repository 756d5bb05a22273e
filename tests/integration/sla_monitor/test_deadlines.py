"""The deadline clock against the real PostgreSQL: warnings, escalations, closures, catch-up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common import Outcome
from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    RecipientRole,
    ReferralAccepted,
    ReferralCancelled,
    ReferralCompleted,
    ReferralDeclined,
    ReferralRerouted,
    ReferralStarted,
    StepKind,
)

pytestmark = pytest.mark.integration


def _summary(events):
    """(type, level or percent, referral) of each deadline event, in outbox order."""
    out = []
    for event in events:
        data = event.data
        if isinstance(data, DeadlineWarning):
            out.append(("warning", data.percent_of_window, data.referral_id))
        elif isinstance(data, DeadlineMissed):
            out.append(("missed", data.escalation_level, data.referral_id))
    return out


async def test_the_ladder_fires_each_step_once_at_its_time(monitor, fire_due, new_referral, outbox):
    referral = new_referral()
    rid = referral.referral_id
    assert await monitor.deliver(referral.requested()) == [Outcome.PROCESSED]

    await fire_due(referral.at_percent(49.9))
    assert _summary(await outbox()) == []

    await fire_due(referral.at_percent(50))
    assert _summary(await outbox()) == [("warning", 50, rid)]

    await fire_due(referral.at_percent(75))
    for _ in range(5):  # every tick until the deadline finds nothing new
        await fire_due(referral.at_percent(99))
    assert _summary(await outbox()) == [("warning", 50, rid), ("warning", 75, rid)]

    # Many ticks at and after the deadline, two of them at once: level 1 goes out once.
    at_deadline = referral.due_at
    await fire_due(at_deadline)
    await asyncio.gather(fire_due(at_deadline), fire_due(at_deadline))
    for _ in range(5):
        await fire_due(at_deadline + timedelta(minutes=30))
    events = await outbox()
    assert _summary(events)[2:] == [("missed", 1, rid)]
    missed = events[2].data
    assert missed.notify is RecipientRole.CASE_COORDINATOR
    assert (missed.case_id, missed.due_at, missed.fired_at) == (
        referral.case_id,
        referral.due_at,
        at_deadline,
    )
    assert events[2].partitionkey == str(referral.case_id)

    await fire_due(referral.at_percent(150))
    await fire_due(referral.at_percent(199))
    await fire_due(referral.at_percent(200))
    await fire_due(referral.at_percent(1000))
    events = await outbox()
    assert _summary(events) == [
        ("warning", 50, rid),
        ("warning", 75, rid),
        ("missed", 1, rid),
        ("missed", 2, rid),
        ("missed", 3, rid),
    ]
    assert [e.data.notify for e in events] == [
        RecipientRole.PROVIDER,
        RecipientRole.CASE_COORDINATOR,
        RecipientRole.CASE_COORDINATOR,
        RecipientRole.SUPERVISOR,
        RecipientRole.SECRETARIAT,
    ]
    assert len({e.id for e in events}) == 5


async def test_concurrent_schedulers_raise_one_event_per_step(
    monitor, fire_due, scheduler, new_referral, outbox
):
    referrals = [new_referral() for _ in range(12)]
    outcomes = await monitor.deliver(*(referral.requested() for referral in referrals))
    assert outcomes == [Outcome.PROCESSED] * len(referrals)
    # Small batches make the schedulers interleave transaction by transaction.
    schedulers = [scheduler(monitor, batch_size=3) for _ in range(3)]
    now = referrals[0].at_percent(160)  # past level 2 of every referral

    reports = await asyncio.gather(*(s.fire_due(now) for s in schedulers), fire_due(now))

    # Level 2 is due too: it alone fires, whichever scheduler holds which step.
    expected = sorted(("missed", 2, r.referral_id) for r in referrals)
    assert sorted(_summary(await outbox())) == expected
    assert sum(len(r.fired) for r in reports) == len(expected)
    # The stale warnings and the superseded level 1 of each.
    assert sum(len(r.skipped) for r in reports) == 3 * len(referrals)


CLOSINGS = {
    "accepted": (ReferralAccepted, {}),
    "declined": (ReferralDeclined, {"reason": "at_capacity"}),
    "started": (ReferralStarted, {}),
    "completed": (ReferralCompleted, {}),
    "cancelled": (ReferralCancelled, {"reason": "child moved to another state"}),
    "rerouted": (ReferralRerouted, {"reason": "declined", "new_provider_id": "shelter-kl-2"}),
}


@pytest.mark.parametrize("reason", list(CLOSINGS))
async def test_a_closed_referral_fires_nothing_more(
    monitor, fire_due, new_referral, outbox, reason
):
    closing, extra = CLOSINGS[reason]
    referral = new_referral()
    if closing is ReferralRerouted:
        extra = {**extra, "new_referral_id": new_referral().referral_id}
    await monitor.deliver(referral.requested())
    await fire_due(referral.at_percent(50))

    closed = referral.fact(closing, referral.at_percent(60), **extra)
    assert await monitor.deliver(closed) == [Outcome.PROCESSED]
    for percent in (75, 100, 150, 200, 1000):
        await fire_due(referral.at_percent(percent))

    assert _summary(await outbox()) == [("warning", 50, referral.referral_id)]
    async with monitor.service.db.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, closed_reason, closed_at FROM deadlines WHERE referral_id = $1",
            referral.referral_id,
        )
    assert (row["status"], row["closed_reason"]) == ("closed", reason)
    assert row["closed_at"] == referral.at_percent(60)


async def test_a_redelivered_request_adds_no_steps(monitor, fire_due, new_referral, outbox):
    referral = new_referral()
    first = referral.requested()
    assert await monitor.deliver(first) == [Outcome.PROCESSED]
    # The same event again (Kafka redelivery), then the same referral under a new event id.
    assert await monitor.deliver(first) == [Outcome.DUPLICATE]
    assert await monitor.deliver(referral.requested()) == [Outcome.PROCESSED]

    async with monitor.service.db.pool.acquire() as conn:
        steps = await conn.fetchval(
            "SELECT count(*) FROM deadline_steps WHERE referral_id = $1", referral.referral_id
        )
    assert steps == 5
    await fire_due(referral.at_percent(1000))
    assert [(kind, level) for kind, level, _ in _summary(await outbox())] == [("missed", 3)]


async def test_catch_up_fires_the_highest_level_due_once_and_skips_the_rest(
    monitor, fire_due, new_referral, outbox
):
    referral = new_referral()
    await monitor.deliver(referral.requested())

    # The service was down from before the first warning until past level 2.
    report = await fire_due(referral.at_percent(175))
    await fire_due(referral.at_percent(175))
    await fire_due(referral.at_percent(180))

    rid = referral.referral_id
    assert _summary(await outbox()) == [("missed", 2, rid)]
    assert sorted(report.skipped) == [(rid, 0), (rid, 1), (rid, 2)]
    async with monitor.service.db.pool.acquire() as conn:
        states = await conn.fetch(
            "SELECT kind, state, note FROM deadline_steps WHERE referral_id = $1 ORDER BY step_no",
            rid,
        )
    assert [(r["kind"], r["state"]) for r in states] == [
        ("warning", "skipped"),
        ("warning", "skipped"),
        ("escalation", "skipped"),
        ("escalation", "fired"),
        ("escalation", "pending"),
    ]
    assert states[0]["note"] == "deadline already passed: the escalation carries the news"
    assert states[2]["note"] == "level 2 was due as well and carries the news: only it fires"

    # Level 3 still comes at its own time, once.
    await fire_due(referral.at_percent(200))
    await fire_due(referral.at_percent(250))
    assert _summary(await outbox()) == [("missed", 2, rid), ("missed", 3, rid)]


async def test_catch_up_in_batches_still_fires_one_level_per_referral(
    monitor, scheduler, new_referral, outbox
):
    # Batches of two steps: a referral's level 1 and its level 3 land in different batches.
    referrals = [new_referral() for _ in range(3)]
    await monitor.deliver(*(r.requested() for r in referrals))

    report = await scheduler(monitor, batch_size=2).fire_due(referrals[0].at_percent(500))

    assert sorted(_summary(await outbox())) == sorted(
        ("missed", 3, r.referral_id) for r in referrals
    )
    assert len(report.skipped) == 4 * len(referrals)


async def test_a_restarted_monitor_fires_what_came_due_while_it_was_down(
    monitor, start_monitor, scheduler, new_referral, outbox
):
    referral = new_referral()
    await monitor.deliver(referral.requested())
    await scheduler(monitor).fire_due(referral.at_percent(50))
    await monitor.stop()  # the process dies; the database remembers

    restarted = await start_monitor()
    await scheduler(restarted).fire_due(referral.at_percent(110))
    await scheduler(restarted).fire_due(referral.at_percent(110))

    rid = referral.referral_id
    assert _summary(await outbox(via=restarted)) == [("warning", 50, rid), ("missed", 1, rid)]


async def test_catch_up_fires_in_time_order_across_referrals(
    monitor, fire_due, new_referral, outbox
):
    early = new_referral(window=timedelta(hours=1))
    late = new_referral(window=timedelta(hours=2))
    await monitor.deliver(late.requested())
    await monitor.deliver(early.requested())

    await fire_due(late.at_percent(300))

    fired = await outbox()
    assert [e.data.fired_at for e in fired] == [late.at_percent(300)] * len(fired)
    # One escalation each, the highest due: level 3 of the 1 h window (12:00) before
    # level 3 of the 2 h window (14:00).
    order = [(e.data.referral_id, e.data.escalation_level) for e in fired]
    assert order == [(early.referral_id, 3), (late.referral_id, 3)]


async def test_a_closure_before_the_request_keeps_the_clock_stopped(
    monitor, fire_due, new_referral, outbox
):
    referral = new_referral()
    accepted = referral.fact(ReferralAccepted, referral.at_percent(10))
    assert await monitor.deliver(accepted, referral.requested()) == [Outcome.PROCESSED] * 2

    for percent in (50, 75, 100, 150, 200):
        await fire_due(referral.at_percent(percent))

    assert _summary(await outbox()) == []
    async with monitor.service.db.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, closed_reason, due_at FROM deadlines WHERE referral_id = $1",
            referral.referral_id,
        )
    assert (row["status"], row["closed_reason"], row["due_at"]) == (
        "closed",
        "accepted",
        referral.due_at,
    )


async def test_a_step_that_cannot_be_raised_does_not_block_the_others(
    monitor, fire_due, new_referral, outbox
):
    referral = new_referral()
    broken = (
        (StepKind.WARNING, 0, 0, RecipientRole.PROVIDER),  # a warning at 0 % is meaningless
        (StepKind.ESCALATION, 1, 100, RecipientRole.CASE_COORDINATOR),
    )
    assert await monitor.deliver(referral.requested(broken)) == [Outcome.PROCESSED]

    await fire_due(referral.at_percent(100))

    assert _summary(await outbox()) == [("missed", 1, referral.referral_id)]


async def test_the_timer_fires_what_is_due_by_the_services_clock(
    monitor, clock, new_referral, outbox
):
    referral = new_referral()
    rid = referral.referral_id
    await monitor.deliver(referral.requested())
    (timer,) = [t for t in monitor.service.timers if t.name == "fire-due-steps"]
    assert timer.on_leader

    for percent in (40, 60, 60, 100, 100):
        clock.at = referral.at_percent(percent)
        await timer.run()

    # At 100 % the 75 % warning is stale: skipped, and level 1 carries the news.
    assert _summary(await outbox()) == [("warning", 50, rid), ("missed", 1, rid)]


async def test_an_acceptance_made_before_the_deadline_but_processed_after_stops_its_escalation(
    monitor, scheduler, new_referral, outbox
):
    # Accepted one second before the deadline; the event reaches the sla-monitor a second
    # after it. Within the grace, the escalation waits, and the answer's own time decides.
    referral = new_referral()
    await monitor.deliver(referral.requested())
    graceful = scheduler(monitor, grace=timedelta(seconds=5))
    just_after = referral.due_at + timedelta(seconds=1)

    report = await graceful.fire_due(just_after)
    assert not [e for e in report.fired if isinstance(e.data, DeadlineMissed)]
    await monitor.deliver(referral.fact(ReferralAccepted, referral.due_at - timedelta(seconds=1)))
    report = await graceful.fire_due(referral.due_at + timedelta(seconds=10))

    assert not [e for e in report.fired if isinstance(e.data, DeadlineMissed)]
    assert not [e for e in await outbox() if isinstance(e.data, DeadlineMissed)]


async def test_without_an_answer_the_escalation_fires_once_the_grace_is_over(
    monitor, scheduler, new_referral, outbox
):
    referral = new_referral()
    await monitor.deliver(referral.requested())
    graceful = scheduler(monitor, grace=timedelta(seconds=5))

    early = await graceful.fire_due(referral.due_at + timedelta(seconds=4))
    late = await graceful.fire_due(referral.due_at + timedelta(seconds=5))

    assert not [e for e in early.fired if isinstance(e.data, DeadlineMissed)]
    (missed,) = [e.data for e in late.fired if isinstance(e.data, DeadlineMissed)]
    assert missed.escalation_level == 1


async def test_within_a_turn_each_step_fires_as_it_comes_due_not_at_the_next_poll(
    start_monitor, new_referral, outbox
):
    # The wall clock (the test's clock is not set), and one turn of the scheduler long
    # enough for the whole ladder: before, a turn was one look, at its start.
    runtime = await start_monitor(tick_seconds=6)
    referral = new_referral(requested_at=datetime.now(UTC), window=timedelta(seconds=2))
    assert await runtime.deliver(referral.requested()) == [Outcome.PROCESSED]
    (timer,) = [t for t in runtime.service.timers if t.name == "fire-due-steps"]

    await timer.run()

    fired = await outbox(via=runtime)
    assert [s[:2] for s in _summary(fired)] == [
        ("warning", 50),
        ("warning", 75),
        ("missed", 1),
        ("missed", 2),
        ("missed", 3),
    ]
    due = [referral.at_percent(p) for p in (50, 75, 100, 150, 200)]
    lateness = [(e.data.fired_at - at).total_seconds() for e, at in zip(fired, due, strict=True)]
    assert all(0 <= late < 0.25 for late in lateness), lateness


async def test_a_deadline_stored_by_another_instance_wakes_the_leader_s_turn(
    start_monitor, new_referral, outbox
):
    # The leader's turn starts with nothing to fire; another instance (whose consumer has
    # this referral's partition) stores it meanwhile: the leader hears of it at once.
    leader = await start_monitor(tick_seconds=4)
    other = await start_monitor()
    (timer,) = [t for t in leader.service.timers if t.name == "fire-due-steps"]
    turn = asyncio.create_task(timer.run())
    await asyncio.sleep(0.5)
    referral = new_referral(requested_at=datetime.now(UTC), window=timedelta(seconds=2))
    assert await other.deliver(referral.requested()) == [Outcome.PROCESSED]

    await turn

    fired = await outbox(via=leader)
    assert [s[:2] for s in _summary(fired)][:2] == [("warning", 50), ("warning", 75)]
    late = (fired[0].data.fired_at - referral.at_percent(50)).total_seconds()
    assert 0 <= late < 0.25, late
