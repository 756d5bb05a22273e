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
from datetime import timedelta

import pytest
from lindung_common import Outcome
from lindung_contracts import (
    AlertAcknowledged,
    AlertKind,
    Channel,
    DeadlineMissed,
    DeadlineWarning,
    Envelope,
    NotificationFailed,
    ReasonCode,
    ReferralDeclined,
    ReferralRequested,
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


def failed(referral, cause_event_id: uuid.UUID, cause_type: str, recipient: str) -> Envelope:
    """The notifier gave up on a delivery about `referral`."""
    payload = NotificationFailed(
        notification_id=uuid.uuid4(),
        case_id=referral.case_id,
        referral_id=referral.referral_id,
        cause_event_id=cause_event_id,
        cause_type=cause_type,
        recipient=recipient,
        channel=Channel.WEBHOOK,
        attempts=24,
        failed_at=referral.at_percent(10),
        error="endpoint answered HTTP 503",
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=payload.failed_at, source="/n")


async def test_an_undelivered_referral_leaves_the_offer_its_own_escalation(
    monitor, fire_due, new_referral, outbox, clock
):
    referrals = three(new_referral)
    requests = offered(referrals, referrals[0].referral_id)
    for envelope in requests:
        await monitor.deliver(envelope)
    first = referrals[0]
    clock.at = first.at_percent(10)

    # One shelter could not be sent its referral: its own level 1, at once.
    await monitor.deliver(
        failed(first, requests[0].id, ReferralRequested.event_type, "shelter-kl-1")
    )
    # The other two stay silent: the offer's level 1 still comes, once, at the deadline.
    await fire_due(first.due_at)
    missed = [e.data for e in await outbox() if isinstance(e.data, DeadlineMissed)]
    assert [(m.escalation_level, m.referral_undelivered) for m in missed] == [
        (1, True),
        (1, False),
    ]
    assert missed[1].referral_id != first.referral_id


async def test_an_alert_that_cannot_be_delivered_raises_the_offer_s_next_level_once(
    monitor, fire_due, new_referral, outbox, clock
):
    referrals = three(new_referral)
    for envelope in offered(referrals, referrals[0].referral_id):
        await monitor.deliver(envelope)
    first = referrals[0]
    await fire_due(first.due_at)
    (level_1,) = [e for e in await outbox() if isinstance(e.data, DeadlineMissed)]
    clock.at = first.at_percent(110)

    fired_for = next(r for r in referrals if r.referral_id == level_1.data.referral_id)
    await monitor.deliver(
        failed(fired_for, level_1.id, DeadlineMissed.event_type, "case_coordinator")
    )
    for percent in (150, 200):
        await fire_due(first.at_percent(percent))

    assert steps(await outbox()) == {
        ("missed", 1): 1,
        ("missed", 2): 1,  # raised early, and not again for the offer's other referrals
        ("missed", 3): 1,
    }


async def test_an_acknowledgement_holds_the_offer_s_next_level(
    monitor, fire_due, new_referral, outbox
):
    referrals = three(new_referral)
    first = referrals[0]
    window = timedelta(hours=3)
    for envelope in offered(referrals, first.referral_id):
        data = envelope.data.model_copy(
            update={"acknowledgement_window_seconds": int(window.total_seconds())}
        )
        await monitor.deliver(
            Envelope.wrap(data, event_id=envelope.id, time=envelope.time, source="/r")
        )
    report = await fire_due(first.due_at)
    (alert,) = [e for e in report.fired if isinstance(e.data, DeadlineMissed)]
    at = first.due_at + timedelta(hours=1)  # an hour before level 2 was due
    acknowledgement = AlertAcknowledged(
        acknowledgement_id=uuid.uuid4(),
        alert_id=alert.id,
        kind=AlertKind.DEADLINE_MISSED,
        case_id=first.case_id,
        referral_id=alert.data.referral_id,
        escalation_level=1,
        coordinator_id="coordinator-sel",
        acknowledged_at=at,
    )
    await monitor.deliver(
        Envelope.wrap(acknowledgement, event_id=uuid.uuid4(), time=at, source="/i")
    )

    # Where level 2 was due: held, on every referral of the offer, not only the one acknowledged.
    assert (await fire_due(first.at_percent(150))).fired == []
    assert [e.data.escalation_level for e in (await fire_due(at + window)).fired] == [2]
