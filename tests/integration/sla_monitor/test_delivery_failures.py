"""A delivery that failed for good escalates at once: the coordinator, or the next level."""

from __future__ import annotations

import uuid

import pytest
from lindung_common import Outcome
from lindung_contracts import (
    Channel,
    DeadlineMissed,
    Envelope,
    NotificationFailed,
    ReferralAccepted,
    ReferralRequested,
)
from lindung_sla_monitor.domain import step_event_id

pytestmark = pytest.mark.integration

LEVEL_1, LEVEL_2, LEVEL_3 = 2, 3, 4  # step numbers in the default ladder


def _failed(referral, cause_event_id: uuid.UUID, cause_type: str, recipient: str):
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
    return Envelope.wrap(
        payload, event_id=uuid.uuid4(), time=payload.failed_at, source="/lindung/notifier"
    )


def _missed(events) -> list[DeadlineMissed]:
    return [e.data for e in events if isinstance(e.data, DeadlineMissed)]


async def test_a_referral_that_cannot_be_delivered_is_escalated_at_once_and_once(
    monitor, fire_due, new_referral, outbox, clock
):
    referral = new_referral()
    request = referral.requested()
    await monitor.deliver(request)
    clock.at = referral.at_percent(10)

    failed = _failed(referral, request.id, ReferralRequested.event_type, "shelter-kl-1")
    assert await monitor.deliver(failed) == [Outcome.PROCESSED]

    (early,) = _missed(await outbox())
    assert (early.escalation_level, early.notify.value) == (1, "case_coordinator")
    assert early.cause == "the referral could not be delivered to shelter-kl-1"
    assert early.referral_undelivered  # the provider never had it: not silence
    assert early.fired_at == referral.at_percent(10)  # now, not at the deadline
    # At the deadline the ladder does not raise level 1 a second time.
    await fire_due(referral.due_at)
    assert [m.escalation_level for m in _missed(await outbox())] == [1]


async def test_a_referral_undelivered_after_its_deadline_raises_the_next_level_at_once(
    monitor, fire_due, new_referral, outbox, clock
):
    # Retries outlasted the window: level 1 went out as silence; the failure comes after.
    referral = new_referral()
    request = referral.requested()
    await monitor.deliver(request)
    await fire_due(referral.due_at)
    clock.at = referral.at_percent(110)

    await monitor.deliver(
        _failed(referral, request.id, ReferralRequested.event_type, "shelter-kl-1")
    )

    missed = _missed(await outbox())
    assert [(m.escalation_level, m.referral_undelivered) for m in missed] == [
        (1, False),
        (2, True),
    ]


async def test_an_escalation_that_cannot_be_delivered_raises_the_next_level(
    monitor, fire_due, new_referral, outbox
):
    referral = new_referral()
    await monitor.deliver(referral.requested())
    await fire_due(referral.due_at)  # level 1 to the case coordinator
    level1 = step_event_id(referral.referral_id, LEVEL_1)

    coordinator_gone = _failed(referral, level1, DeadlineMissed.event_type, "case_coordinator")
    await monitor.deliver(coordinator_gone)

    levels = [(m.escalation_level, m.notify.value, m.cause) for m in _missed(await outbox())]
    assert levels == [
        (1, "case_coordinator", None),
        (2, "supervisor", "level 1 could not be delivered to case_coordinator"),
    ]
    # The supervisor's escalation fails too: the secretariat is told; above it, nobody.
    level2 = step_event_id(referral.referral_id, LEVEL_2)
    await monitor.deliver(_failed(referral, level2, DeadlineMissed.event_type, "supervisor"))
    level3 = step_event_id(referral.referral_id, LEVEL_3)
    await monitor.deliver(_failed(referral, level3, DeadlineMissed.event_type, "secretariat"))
    assert [m.escalation_level for m in _missed(await outbox())] == [1, 2, 3]


async def test_a_failure_about_a_referral_accepted_meanwhile_raises_nothing(
    monitor, new_referral, outbox
):
    referral = new_referral()
    request = referral.requested()
    await monitor.deliver(request)
    await monitor.deliver(referral.fact(ReferralAccepted, referral.at_percent(5)))

    await monitor.deliver(
        _failed(referral, request.id, ReferralRequested.event_type, "shelter-kl-1")
    )

    assert _missed(await outbox()) == []
