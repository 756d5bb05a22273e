"""A coordinator's acknowledgement holds the next level for the window: not acceptance."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from lindung_common import Outcome
from lindung_contracts import (
    AlertAcknowledged,
    AlertKind,
    DeadlineMissed,
    Envelope,
    ReferralAccepted,
)

pytestmark = pytest.mark.integration

INTAKE = "/lindung/intake"
WINDOW = timedelta(hours=3)  # the policy's, as the request carries it
# The 4 h window of `new_referral`: level 1 at the deadline, level 2 two hours after it,
# level 3 four hours after it.
LEVEL2_AFTER, LEVEL3_AFTER = timedelta(hours=2), timedelta(hours=4)


def acknowledged(referral, alert_id, at, *, level=1, kind=AlertKind.DEADLINE_MISSED):
    """AlertAcknowledged as intake sends it, a new event each time."""
    case_alert = kind is not AlertKind.DEADLINE_MISSED
    payload = AlertAcknowledged(
        acknowledgement_id=uuid.uuid4(),
        alert_id=alert_id,
        kind=kind,
        case_id=referral.case_id,
        referral_id=None if case_alert else referral.referral_id,
        escalation_level=None if case_alert else level,
        coordinator_id="coordinator-sel",
        acknowledged_at=at,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source=INTAKE)


def levels(report) -> list[int]:
    return [e.data.escalation_level for e in report.fired if isinstance(e.data, DeadlineMissed)]


async def _level1(monitor, fire_due, referral):
    await monitor.deliver(
        referral.requested(acknowledgement_window_seconds=int(WINDOW.total_seconds()))
    )
    report = await fire_due(referral.due_at)
    (alert,) = [e for e in report.fired if isinstance(e.data, DeadlineMissed)]
    assert alert.data.escalation_level == 1
    return alert


async def _acknowledgements(runtime, referral) -> list[dict]:
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT outcome, note, level, held_until, moved_by FROM acknowledgements"
            " WHERE case_id = $1 ORDER BY recorded_at, acknowledgement_id",
            referral.case_id,
        )
    return [dict(row) for row in rows]


async def test_level_2_waits_the_window_after_an_acknowledgement_then_fires_unaccepted(
    monitor, fire_due, new_referral, outbox
):
    referral = new_referral()
    alert = await _level1(monitor, fire_due, referral)
    at = referral.due_at + timedelta(hours=1)  # an hour before level 2 was due

    assert await monitor.deliver(acknowledged(referral, alert.id, at)) == [Outcome.PROCESSED]

    # Where level 2 was due, and until just before the window ends: nothing.
    assert levels(await fire_due(referral.due_at + LEVEL2_AFTER)) == []
    assert levels(await fire_due(at + WINDOW - timedelta(seconds=1))) == []
    # The window ends with the referral still unaccepted: level 2 fires anyway, once.
    assert levels(await fire_due(at + WINDOW)) == [2]
    assert levels(await fire_due(at + WINDOW + timedelta(minutes=1))) == []
    # Level 3 kept its two hours' distance from level 2.
    assert levels(await fire_due(at + WINDOW + LEVEL3_AFTER - LEVEL2_AFTER)) == [3]
    missed = [e.data for e in await outbox() if isinstance(e.data, DeadlineMissed)]
    assert [m.escalation_level for m in missed] == [1, 2, 3]
    (held,) = await _acknowledgements(monitor, referral)
    assert held["outcome"] == "held"
    assert held["held_until"] == at + WINDOW
    assert held["moved_by"] == WINDOW - timedelta(hours=1)


async def test_an_acknowledged_then_accepted_referral_never_raises_level_2(
    monitor, fire_due, new_referral, outbox
):
    referral = new_referral()
    alert = await _level1(monitor, fire_due, referral)
    at = referral.due_at + timedelta(minutes=10)
    await monitor.deliver(acknowledged(referral, alert.id, at))
    await monitor.deliver(referral.fact(ReferralAccepted, at + timedelta(minutes=20)))

    assert levels(await fire_due(at + WINDOW)) == []
    assert levels(await fire_due(referral.due_at + timedelta(days=2))) == []
    missed = [e.data for e in await outbox() if isinstance(e.data, DeadlineMissed)]
    assert [m.escalation_level for m in missed] == [1]
    async with monitor.service.db.pool.acquire() as conn:
        states = await conn.fetch(
            "SELECT level, state FROM deadline_steps WHERE referral_id = $1"
            " AND kind = 'escalation' ORDER BY level",
            referral.referral_id,
        )
    assert [(r["level"], r["state"]) for r in states] == [
        (1, "fired"),
        (2, "cancelled"),
        (3, "cancelled"),
    ]


async def test_a_restart_during_the_window_changes_nothing(
    start_monitor, scheduler, new_referral, clock
):
    referral = new_referral()
    first = await start_monitor()
    alert = await _level1(first, scheduler(first).fire_due, referral)
    at = referral.due_at + timedelta(hours=1)
    await first.deliver(acknowledged(referral, alert.id, at))
    await first.stop()

    again = await start_monitor()
    fire_due = scheduler(again).fire_due
    assert levels(await fire_due(referral.due_at + LEVEL2_AFTER)) == []
    assert levels(await fire_due(at + WINDOW)) == [2]
    async with again.service.db.pool.acquire() as conn:
        fired = await conn.fetchval(
            "SELECT count(*) FROM deadline_steps WHERE referral_id = $1 AND state = 'fired'",
            referral.referral_id,
        )
    assert fired == 2  # levels 1 and 2, each once


async def test_what_holds_nothing_is_absorbed_with_its_reason_and_moves_no_step(
    monitor, fire_due, new_referral
):
    referral = new_referral()
    await monitor.deliver(
        referral.requested(acknowledgement_window_seconds=int(WINDOW.total_seconds()))
    )
    early = referral.at_percent(90)
    unknown = new_referral()
    deliveries = [
        # Level 1 has not fired yet: nobody can own it.
        acknowledged(referral, uuid.uuid4(), early),
        # A case's alert: no ladder above it.
        acknowledged(referral, uuid.uuid4(), early, kind=AlertKind.PACKAGE_MISSED),
        # A referral the sla-monitor never heard of.
        acknowledged(unknown, uuid.uuid4(), early),
    ]
    assert await monitor.deliver(*deliveries) == [Outcome.PROCESSED] * 3
    report = await fire_due(referral.due_at)
    (alert,) = [e for e in report.fired if isinstance(e.data, DeadlineMissed)]
    at = referral.due_at + timedelta(minutes=5)
    # Held once; the second acknowledgement of the same alert is a repeat.
    await monitor.deliver(acknowledged(referral, alert.id, at))
    await monitor.deliver(acknowledged(referral, alert.id, at + timedelta(minutes=1)))

    outcomes = {(a["outcome"], a["note"]) for a in await _acknowledgements(monitor, referral)}
    assert outcomes == {
        ("not_raised", "level 1 has not been raised"),
        ("case_alert", "a case's alert has no ladder above it"),
        ("held", "level 2 waits until the window ends"),
        ("repeat", "level 1 was acknowledged before"),
    }
    assert [a["outcome"] for a in await _acknowledgements(monitor, unknown)] == ["unknown_referral"]
    # Held by the first acknowledgement only: the repeat did not move level 2 again.
    assert levels(await fire_due(referral.due_at + LEVEL2_AFTER)) == []
    assert levels(await fire_due(at + WINDOW)) == [2]

    # Acknowledged once closed: absorbed.
    await monitor.deliver(referral.fact(ReferralAccepted, at + WINDOW))
    await monitor.deliver(acknowledged(referral, uuid.uuid4(), at + WINDOW, level=2))
    closed = [a for a in await _acknowledgements(monitor, referral) if a["level"] == 2]
    assert [a["outcome"] for a in closed] == ["closed"]
