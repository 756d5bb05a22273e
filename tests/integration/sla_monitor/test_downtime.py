"""Two minutes of sla-monitor downtime: one escalation per referral, and no second for a re-route.

The router and the sla-monitor run on the real broker and PostgreSQL with a second-scale
policy and a clock the test moves. The sla-monitor is stopped while every step of every
ladder comes due, then started again: each referral raises one escalation (the highest
level due), not three; the router re-routes the silent shelter, and its new referral,
whose window also passed while the escalation was held up, raises nothing of its own.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common import Outcome, Runtime
from lindung_contracts import (
    DEADLINES,
    CaseOpened,
    ChildProfile,
    DeadlineMissed,
    DeadlineWarning,
    Envelope,
    Gender,
    Location,
    MalaysianState,
    NationalityStatus,
    RecipientRole,
    ReferralRequested,
    ReferralRerouted,
    ServiceType,
    Situation,
    decode,
)
from lindung_router.bootstrap import build as build_router
from lindung_router.settings import RouterSettings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DOWNTIME = timedelta(minutes=2)
POLICY = """
version = "downtime-1"
package_window = "10m"

[ladder]
warning_percents = [50, 75]
level2_after_percent = 50
level2_min_gap = "0s"
level3_after_percent = 100

[windows.child_protector]
normal = "10s"
urgent = "10s"
silence = "escalate"

[windows.safe_shelter]
normal = "10s"
urgent = "10s"

[windows.health]
normal = "20s"
urgent = "20s"

[windows.legal_aid]
normal = "10s"
urgent = "10s"
silence = "escalate"

[windows.unhcr]
normal = "10s"
urgent = "10s"

[windows.interpretation]
normal = "10s"
urgent = "10s"

[windows.psychosocial]
normal = "10s"
urgent = "10s"
"""
DIRECTORY = {
    "version": "downtime-directory-1",
    "providers": [
        {"id": "protector-sel", "name": "Protector", "services": ["child_protector"],
         "states": ["selangor"]},
        {"id": "shelter-a", "name": "Shelter A", "services": ["safe_shelter"],
         "states": ["selangor"], "priority": 1},
        {"id": "shelter-b", "name": "Shelter B", "services": ["safe_shelter"],
         "states": ["selangor"], "priority": 2},
        {"id": "clinic-1", "name": "Clinic", "services": ["health"], "states": ["*"]},
        {"id": "clinic-2", "name": "Clinic 2", "services": ["health"], "states": ["*"]},
        {"id": "legal-1", "name": "Legal aid", "services": ["legal_aid"], "states": ["*"]},
    ],
}  # fmt: skip


@pytest.fixture
async def router(stack, tmp_path, clock):
    """The router on a schema of its own, telling the time by the test's clock."""
    (tmp_path / "policy.toml").write_text(POLICY)
    (tmp_path / "directory.json").write_text(json.dumps(DIRECTORY))
    settings = RouterSettings(
        **stack.kafka_settings("router"),
        database_url=stack.database_url,
        policy_file=tmp_path / "policy.toml",
        directory_file=tmp_path / "directory.json",
    )
    runtime = Runtime(build_router(settings, schema=f"t_{uuid.uuid4().hex[:12]}", clock=clock))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def _case_opened() -> Envelope[CaseOpened]:
    payload = CaseOpened(
        case_id=uuid.uuid4(),
        agency_id="pdrm-selangor",
        identified_at=T0,
        opened_at=T0,
        child=ChildProfile(
            age_years=12,
            gender=Gender.FEMALE,
            nationality_status=NationalityStatus.CITIZEN,
            languages=("ms",),
        ),
        situation=Situation(location=Location.COMMUNITY, state=MalaysianState.SELANGOR),
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=T0, source="/lindung/intake")


async def _queued(runtime: Runtime, after: int = 0) -> list[Envelope]:
    """What a service queued for Kafka (decoded, in order), from its `after`-th event on."""
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT value, headers FROM outbox ORDER BY id")
    return [
        decode(bytes(row["value"]), [(n, v.encode()) for n, v in json.loads(row["headers"])])
        for row in rows
    ][after:]


async def _turn(runtime: Runtime) -> None:
    """One turn of the sla-monitor's deadline timer, as its leader runs it."""
    (timer,) = [t for t in runtime.service.timers if t.name == "fire-due-steps"]
    await timer.run()


async def test_after_two_minutes_down_each_referral_escalates_once_and_a_reroute_adds_none(
    router, start_monitor, clock, tail
):
    deadlines = await tail(DEADLINES)
    clock.at = T0
    opened = _case_opened()
    case_id = opened.data.case_id
    await router.deliver(opened)
    requests = [e for e in await _queued(router) if isinstance(e.data, ReferralRequested)]
    services = {e.data.service: e.data for e in requests}
    assert set(services) == {
        ServiceType.CHILD_PROTECTOR,
        ServiceType.SAFE_SHELTER,
        ServiceType.HEALTH,
        ServiceType.LEGAL_AID,
    }
    monitor = await start_monitor(tick_seconds=0.1)
    assert await monitor.deliver(*requests) == [Outcome.PROCESSED] * len(requests)

    # Running: the 50 % warnings of the 10 s windows go out at 5 s.
    clock.at = T0 + timedelta(seconds=5)
    await _turn(monitor)
    fired = await _queued(monitor)
    assert {type(e.data) for e in fired} == {DeadlineWarning}

    # Down for two minutes: every step of every ladder comes due meanwhile.
    await monitor.stop()
    clock.at += DOWNTIME
    restarted = await start_monitor(tick_seconds=0.1)
    await _turn(restarted)
    await _turn(restarted)

    after = await _queued(restarted, len(fired))
    escalations = [e.data for e in after if isinstance(e.data, DeadlineMissed)]
    # One each, the highest level due: at 125 s every ladder has reached level 3 (at 20 s
    # for the 10 s windows, at 40 s for health's 20 s one); levels 1 and 2 are skipped.
    assert sorted((m.service.value, m.escalation_level) for m in escalations) == [
        ("child_protector", 3),
        ("health", 3),
        ("legal_aid", 3),
        ("safe_shelter", 3),
    ]
    assert {m.notify for m in escalations} == {RecipientRole.SECRETARIAT}
    assert [e for e in after if isinstance(e.data, DeadlineWarning)] == []  # stale: skipped
    async with restarted.service.db.pool.acquire() as conn:
        notes = await conn.fetch(
            "SELECT level, note FROM deadline_steps WHERE referral_id = $1"
            " AND kind = 'escalation' AND state = 'skipped' ORDER BY level",
            services[ServiceType.LEGAL_AID].referral_id,
        )
    assert [(r["level"], r["note"]) for r in notes] == [
        (1, "level 3 was due as well and carries the news: only it fires"),
        (2, "level 3 was due as well and carries the news: only it fires"),
    ]

    # The router reads them: the silent shelter is withdrawn, the next shelter asked.
    seen = len(await _queued(router))
    await router.deliver(*[e for e in after if isinstance(e.data, DeadlineMissed)])
    moved = await _queued(router, seen)
    rerouted = [e.data for e in moved if isinstance(e.data, ReferralRerouted)]
    assert {(r.service, r.new_provider_id) for r in rerouted} == {
        (ServiceType.SAFE_SHELTER, "shelter-b"),
        (ServiceType.HEALTH, "clinic-2"),
    }
    new_requests = [e for e in moved if isinstance(e.data, ReferralRequested)]
    # The new windows passed while the escalation was held up: they start now, whole, and
    # carry no lateness of their own (the escalation reported the miss already).
    for request in new_requests:
        assert request.data.requested_at == clock.at
        assert request.data.overdue_since is None

    # The sla-monitor reads the re-routes: no second escalation for the same miss.
    known = len(await _queued(restarted))
    await restarted.deliver(*moved)
    await _turn(restarted)
    assert [e for e in await _queued(restarted, known) if isinstance(e.data, DeadlineMissed)] == []

    # On DEADLINES, as the notifier and the router read it: four escalations, one each.
    key = str(case_id).encode()

    def missed(records):
        events = [decode(r.value, r.headers) for r in records if r.key == key]
        return [e.data for e in events if isinstance(e.data, DeadlineMissed)]

    await deadlines.until(lambda records: len(missed(records)) >= len(escalations))
    on_topic = missed(await deadlines.to_end())
    assert sorted(m.referral_id for m in on_topic) == sorted(
        r.referral_id for r in services.values()
    )
