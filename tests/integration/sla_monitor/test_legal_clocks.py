"""The chained legal clocks: started and stopped by milestones, alerting once when missed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from lindung_contracts import (
    DEADLINES,
    CaseMilestoneRecorded,
    Envelope,
    LegalClockChanged,
    LegalClockMissed,
    MilestoneKind,
    decode,
    encode,
)
from lindung_sla_monitor.domain.legal_clocks import clock_event_id

pytestmark = pytest.mark.integration

INTAKE = "/lindung/intake"
TAKEN = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SHORT_POLICY = Path(__file__).parent / "legal-clocks-policy.toml"


def _milestone(case_id, kind, at, *, recorded_at=None, event_id=None, **extra):
    payload = CaseMilestoneRecorded(
        milestone_id=uuid.uuid4(),
        case_id=case_id,
        kind=kind,
        at=at,
        coordinator_id="coordinator-kl",
        recorded_at=recorded_at or at,
        **extra,
    )
    return Envelope.wrap(payload, event_id=event_id or uuid.uuid4(), time=at, source=INTAKE)


def _alerts(events) -> list[LegalClockMissed]:
    return [e.data for e in events if isinstance(e.data, LegalClockMissed)]


async def _clocks(runtime, case_id) -> dict[str, tuple[str, datetime | None]]:
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT clock, state, stopped_at FROM legal_clocks WHERE case_id = $1", case_id
        )
    return {row["clock"]: (row["state"], row["stopped_at"]) for row in rows}


async def test_taken_into_care_starts_its_clocks_and_a_protector_in_time_stops_one(
    monitor, fire_due, outbox
):
    case_id = uuid.uuid4()
    await monitor.deliver(_milestone(case_id, MilestoneKind.TAKEN_INTO_CARE, TAKEN))

    started = await _clocks(monitor, case_id)
    assert started == {
        "protector_notified": ("running", None),
        "before_protector": ("running", None),
        "medical_examination": ("running", None),
    }

    before = TAKEN + timedelta(hours=11)
    await monitor.deliver(_milestone(case_id, MilestoneKind.BROUGHT_BEFORE_PROTECTOR, before))
    await monitor.deliver(_milestone(case_id, MilestoneKind.PROTECTOR_NOTIFIED, TAKEN))
    fired = await fire_due(TAKEN + timedelta(hours=13))

    assert _alerts(fired.fired) == []
    clocks = await _clocks(monitor, case_id)
    assert clocks["before_protector"] == ("met", before)
    assert clocks["medical_examination"] == ("running", None)
    assert _alerts(await outbox()) == []
    changes = [
        (e.data.clock, e.data.state.value)
        for e in await outbox()
        if isinstance(e.data, LegalClockChanged)
    ]
    assert changes == [
        ("protector_notified", "running"),
        ("before_protector", "running"),
        ("medical_examination", "running"),
        ("before_protector", "met"),
        ("protector_notified", "met"),
    ]


async def test_the_48_hour_clock_passing_without_an_examination_alerts_the_coordinator_once(
    monitor, fire_due, outbox
):
    case_id = uuid.uuid4()
    await monitor.deliver(_milestone(case_id, MilestoneKind.TAKEN_INTO_CARE, TAKEN))
    await monitor.deliver(
        _milestone(case_id, MilestoneKind.PROTECTOR_NOTIFIED, TAKEN + timedelta(minutes=20))
    )
    await monitor.deliver(
        _milestone(case_id, MilestoneKind.BROUGHT_BEFORE_PROTECTOR, TAKEN + timedelta(hours=2))
    )
    due = TAKEN + timedelta(hours=48)

    assert _alerts((await fire_due(due - timedelta(seconds=1))).fired) == []
    (alert,) = _alerts((await fire_due(due)).fired)
    assert _alerts((await fire_due(due + timedelta(hours=5))).fired) == []

    assert alert.case_id == case_id
    assert (alert.clock, alert.due_at, alert.notify.value) == (
        "medical_examination", due, "case_coordinator",
    )  # fmt: skip
    assert alert.source == "Child Act 2001 s.20"
    (queued,) = _alerts_envelopes(await outbox())
    assert queued.id == clock_event_id(case_id, "medical_examination")

    # Examined after all, recorded late: the clock stops, and no second alert comes.
    examined = due + timedelta(hours=6)
    await monitor.deliver(_milestone(case_id, MilestoneKind.MEDICAL_EXAMINATION_DONE, examined))
    assert _alerts((await fire_due(due + timedelta(days=3))).fired) == []
    assert (await _clocks(monitor, case_id))["medical_examination"] == ("missed", examined)
    assert len(_alerts_envelopes(await outbox())) == 1
    medical = [
        (e.data.state.value, e.data.stopped_at)
        for e in await outbox()
        if isinstance(e.data, LegalClockChanged) and e.data.clock == "medical_examination"
    ]
    assert medical == [("running", None), ("missed", None), ("missed", examined)]


async def test_a_court_date_alerts_seven_days_before_its_day_unless_legal_aid_is_in_place(
    monitor, fire_due, outbox
):
    heard, helped = uuid.uuid4(), uuid.uuid4()
    for case_id in (heard, helped):
        await monitor.deliver(
            _milestone(case_id, MilestoneKind.COURT_DATE_SET, TAKEN, court_date=date(2026, 3, 20))
        )
    # 13 March 00:00 in Malaysia (UTC+8): 7 days before the hearing's day.
    due = datetime(2026, 3, 12, 16, 0, tzinfo=UTC)
    in_place = due - timedelta(days=2)
    await monitor.deliver(_milestone(helped, MilestoneKind.LEGAL_AID_IN_PLACE, in_place))

    assert _alerts((await fire_due(due - timedelta(seconds=1))).fired) == []
    (alert,) = _alerts((await fire_due(due)).fired)
    assert _alerts((await fire_due(due + timedelta(days=1))).fired) == []

    assert (alert.case_id, alert.clock, alert.due_at) == (heard, "legal_aid_before_court", due)
    assert "ATIPSOM 2007" in alert.source
    assert await _clocks(monitor, heard) == {"legal_aid_before_court": ("missed", None)}
    assert await _clocks(monitor, helped) == {"legal_aid_before_court": ("met", in_place)}
    assert len(_alerts_envelopes(await outbox())) == 1


def _alerts_envelopes(events):
    return [e for e in events if isinstance(e.data, LegalClockMissed)]


async def test_a_milestone_recorded_late_but_in_time_stops_its_clock_before_the_alert(
    monitor, fire_due, outbox
):
    case_id = uuid.uuid4()
    await monitor.deliver(_milestone(case_id, MilestoneKind.TAKEN_INTO_CARE, TAKEN))
    # Brought before a Protector at 10 h, recorded only at 12 h 30 (offline).
    at = TAKEN + timedelta(hours=10)
    await monitor.deliver(
        _milestone(case_id, MilestoneKind.BROUGHT_BEFORE_PROTECTOR, at,
                   recorded_at=TAKEN + timedelta(hours=12, minutes=30))
    )  # fmt: skip

    fired = await fire_due(TAKEN + timedelta(hours=13))

    assert [a.clock for a in _alerts(fired.fired)] == ["protector_notified"]
    assert (await _clocks(monitor, case_id))["before_protector"] == ("met", at)


async def test_a_milestone_sent_twice_changes_nothing(monitor, fire_due, outbox):
    case_id = uuid.uuid4()
    first = _milestone(case_id, MilestoneKind.TAKEN_INTO_CARE, TAKEN)
    await monitor.deliver(first)
    before = await _clocks(monitor, case_id)

    # The same event again (redelivered), and the same milestone recorded again later.
    await monitor.deliver(first)
    await monitor.deliver(
        _milestone(case_id, MilestoneKind.TAKEN_INTO_CARE, TAKEN + timedelta(hours=30))
    )

    assert await _clocks(monitor, case_id) == before
    async with monitor.service.db.pool.acquire() as conn:
        kept = await conn.fetch("SELECT at FROM case_milestones WHERE case_id = $1", case_id)
        due = await conn.fetchval(
            "SELECT due_at FROM legal_clocks WHERE case_id = $1 AND clock = 'medical_examination'",
            case_id,
        )
    assert [row["at"] for row in kept] == [TAKEN]
    assert due == TAKEN + timedelta(hours=48)
    fired = await fire_due(TAKEN + timedelta(days=4))
    assert sorted(a.clock for a in _alerts(fired.fired)) == [
        "before_protector", "medical_examination", "protector_notified",
    ]  # fmt: skip


async def test_clocks_survive_a_restart(start_monitor, scheduler, clock):
    case_id = uuid.uuid4()
    first = await start_monitor()
    await first.deliver(_milestone(case_id, MilestoneKind.TAKEN_INTO_CARE, TAKEN))
    await first.stop()

    second = await start_monitor()
    fired = await scheduler(second).fire_due(TAKEN + timedelta(hours=12))

    assert sorted(a.clock for a in _alerts(fired.fired)) == [
        "before_protector", "protector_notified",
    ]  # fmt: skip


async def test_through_the_broker_a_real_worker_alerts_once_for_the_missed_clock(
    stack, spawn_worker
):
    """Short windows (4 s and 8 s): the Protector in time stops one; the other alerts once."""
    worker = spawn_worker(
        SLA_MONITOR_TICK_SECONDS="0.5", SLA_MONITOR_LEGAL_CLOCKS_FILE=str(SHORT_POLICY)
    )
    await worker.ready()
    case_id = uuid.uuid4()
    taken_at = datetime.now(UTC)
    taken = _milestone(case_id, MilestoneKind.TAKEN_INTO_CARE, taken_at)
    sent = [
        taken,
        taken,  # the same event twice
        _milestone(case_id, MilestoneKind.TAKEN_INTO_CARE, taken_at + timedelta(seconds=1)),
        _milestone(
            case_id, MilestoneKind.BROUGHT_BEFORE_PROTECTOR, taken_at + timedelta(seconds=1)
        ),
    ]
    producer = AIOKafkaProducer(**stack.kafka())
    await producer.start()
    try:
        for envelope in sent:
            record = encode(envelope)
            await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        DEADLINES.name, **stack.kafka(), auto_offset_reset="earliest", enable_auto_commit=False
    )
    events = []
    await consumer.start()
    try:
        # The 8 s clock runs out; then a few seconds more, for a second alert that must not come.
        loop = asyncio.get_running_loop()
        deadline, quiet_until = loop.time() + 60, None
        while loop.time() < deadline and worker.process.poll() is None:
            batches = await consumer.getmany(timeout_ms=500)
            records = (r for rs in batches.values() for r in rs)
            events += [
                decode(r.value, r.headers) for r in records if r.key == str(case_id).encode()
            ]
            if quiet_until is None and _alerts_envelopes(events):
                quiet_until = loop.time() + 4
            if quiet_until is not None and loop.time() >= quiet_until:
                break
    finally:
        await consumer.stop()
    await worker.stop()

    alerts = _alerts_envelopes(events)
    assert [e.data.clock for e in alerts] == ["medical_examination"], worker.log()[-4000:]
    changes = [(e.data.clock, e.data.state.value) for e in events
               if isinstance(e.data, LegalClockChanged)]  # fmt: skip
    assert changes == [
        ("before_protector", "running"),
        ("medical_examination", "running"),
        ("before_protector", "met"),
        ("medical_examination", "missed"),
    ]
    assert alerts[0].data.due_at == taken_at + timedelta(seconds=8)
    assert alerts[0].id == clock_event_id(case_id, "medical_examination")
