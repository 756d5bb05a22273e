"""An offer to several providers against the real PostgreSQL: its silence escalates once.

Each referral of the offer carries the whole ladder. Each provider is warned of its own
deadline; every step addressed to a coordinator, supervisor or secretariat fires once for
the offer, whichever schedulers hold its referrals, and whichever provider declined first.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import replace

import pytest
from lindung_common import Outcome
from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    Envelope,
    ReasonCode,
    ReferralDeclined,
)

pytestmark = pytest.mark.integration


def offered(referrals, offer_id: uuid.UUID) -> list[Envelope]:
    """The requests of one offer: the same window and ladder, one offer id."""
    out = []
    for referral in referrals:
        envelope = referral.requested()
        data = envelope.data.model_copy(update={"offer_id": offer_id, "offered_to": len(referrals)})
        out.append(Envelope.wrap(data, event_id=envelope.id, time=envelope.time, source="/r"))
    return out


def three(new_referral):
    first = new_referral()
    return [first] + [replace(first, referral_id=uuid.uuid4()) for _ in range(2)]


def steps(events) -> Counter:
    """How many of each step went out: ("warning", percent) or ("missed", level)."""
    out: Counter = Counter()
    for event in events:
        if isinstance(event.data, DeadlineWarning):
            out["warning", event.data.percent_of_window] += 1
        elif isinstance(event.data, DeadlineMissed):
            out["missed", event.data.escalation_level] += 1
    return out


async def test_silence_from_all_three_raises_each_coordinator_step_once(
    monitor, start_monitor, scheduler, new_referral, outbox
):
    referrals = three(new_referral)
    for envelope in offered(referrals, referrals[0].referral_id):
        assert await monitor.deliver(envelope) == [Outcome.PROCESSED]
    first = referrals[0]
    other = await start_monitor()  # a second instance's scheduler, racing this one's

    # One referral a batch, two schedulers at once: the claims, not the batch, decide.
    ticks = [scheduler(monitor, batch_size=1), scheduler(other, batch_size=1)]
    for percent in (50, 75, 100, 150, 200):
        await asyncio.gather(*(t.fire_due(first.at_percent(percent)) for t in ticks))

    events = await outbox()
    assert steps(events) == {
        ("warning", 50): 3,  # each provider hears of its own deadline
        ("warning", 75): 1,  # the coordinator, once
        ("missed", 1): 1,
        ("missed", 2): 1,
        ("missed", 3): 1,
    }
    async with monitor.service.db.pool.acquire() as conn:
        skipped = await conn.fetchval(
            "SELECT count(*) FROM deadline_steps WHERE state = 'skipped' AND note LIKE '%offer%'"
        )
    assert skipped == 2 * 4  # the two other copies of each of the four shared steps


async def test_the_ladder_stays_when_the_provider_that_fired_first_declines(
    monitor, fire_due, new_referral, outbox
):
    referrals = three(new_referral)
    for envelope in offered(referrals, referrals[0].referral_id):
        await monitor.deliver(envelope)
    first = referrals[0]
    await fire_due(first.at_percent(75))
    (warned,) = [e.data for e in await outbox() if e.data.percent_of_window == 75]  # type: ignore[union-attr]

    # The referral whose copy fired declines: the offer's ladder goes on on the others.
    declined = next(r for r in referrals if r.referral_id == warned.referral_id)
    await monitor.deliver(
        declined.fact(ReferralDeclined, first.at_percent(80), reason=ReasonCode.AT_CAPACITY)
    )
    await fire_due(first.due_at)

    missed = [e.data for e in await outbox() if isinstance(e.data, DeadlineMissed)]
    assert [m.escalation_level for m in missed] == [1]
    assert missed[0].referral_id != declined.referral_id
