"""A referral late before it was made: one escalation at once, then its ladder from now."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from lindung_contracts import Channel, DeadlineMissed, DeadlineWarning, Envelope, NotificationFailed
from lindung_sla_monitor.domain import OVERDUE_STEP_NO, step_event_id

pytestmark = pytest.mark.integration


def _kinds(events) -> list[tuple[str, int, bool]]:
    out = []
    for event in events:
        data = event.data
        if isinstance(data, DeadlineWarning):
            out.append(("warning", data.percent_of_window, False))
        elif isinstance(data, DeadlineMissed):
            out.append(("missed", data.escalation_level, data.overdue_at_request))
    return out


async def test_one_escalation_at_once_then_the_ladder_from_the_request(
    monitor, fire_due, new_referral, outbox, clock
):
    referral = new_referral()  # requested now (the clock), 4 h window
    overdue_since = referral.requested_at - timedelta(days=9)
    clock.at = referral.requested_at
    request = referral.requested(overdue_since=overdue_since)
    await monitor.deliver(request)
    await monitor.deliver(referral.requested(overdue_since=overdue_since))  # a new id: repeat

    (late,) = [e for e in await outbox() if isinstance(e.data, DeadlineMissed)]
    assert late.id == step_event_id(referral.referral_id, OVERDUE_STEP_NO)
    assert (late.data.escalation_level, late.data.notify.value) == (1, "case_coordinator")
    assert late.data.overdue_at_request
    assert late.data.due_at == overdue_since
    assert late.data.fired_at == referral.requested_at

    # Nothing else at once; the ladder runs from the request, each step once.
    assert _kinds((await fire_due(referral.requested_at)).fired) == []
    assert _kinds((await fire_due(referral.at_percent(50))).fired) == [("warning", 50, False)]
    assert _kinds((await fire_due(referral.due_at)).fired) == [("missed", 1, False)]
    assert _kinds(await outbox()) == [
        ("missed", 1, True),
        ("warning", 50, False),
        ("missed", 1, False),
    ]


async def test_the_overdue_alert_undelivered_raises_level_2_at_once(
    monitor, new_referral, outbox, clock
):
    referral = new_referral()
    clock.at = referral.requested_at
    await monitor.deliver(
        referral.requested(overdue_since=referral.requested_at - timedelta(days=2))
    )
    failed = NotificationFailed(
        notification_id=uuid.uuid4(),
        case_id=referral.case_id,
        referral_id=referral.referral_id,
        cause_event_id=step_event_id(referral.referral_id, OVERDUE_STEP_NO),
        cause_type=DeadlineMissed.event_type,
        recipient="case_coordinator",
        channel=Channel.WEBHOOK,
        attempts=24,
        failed_at=referral.at_percent(5),
        error="endpoint answered HTTP 404",
    )
    clock.at = referral.at_percent(5)
    await monitor.deliver(
        Envelope.wrap(failed, event_id=uuid.uuid4(), time=clock.at, source="/lindung/notifier")
    )

    levels = [(m[1], m[2]) for m in _kinds(await outbox())]
    assert levels == [(1, True), (2, False)]


async def test_a_referral_in_time_raises_nothing_at_once(monitor, new_referral, outbox, clock):
    referral = new_referral()
    clock.at = referral.requested_at
    await monitor.deliver(referral.requested())

    assert _kinds(await outbox()) == []
