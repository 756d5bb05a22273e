"""A referral that could not be delivered is re-routed, whatever the policy says of silence.

Here shelters' silence only escalates (as legal aid's does in the demo policy); a shelter
that never received the referral was not silent, so the next shelter is asked.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from lindung_common import Runtime
from lindung_contracts import (
    REFERRALS,
    ClockAction,
    ClockChangeRequested,
    DeadlineMissed,
    Envelope,
    RecipientRole,
    ReferralRequested,
    ReferralRerouted,
    ServiceType,
    decode,
)
from lindung_router.bootstrap import build
from lindung_router.settings import DEFAULT_POLICY_FILE, RouterSettings

pytestmark = pytest.mark.integration

S = ServiceType
# Two shelters in Selangor, one of everything else a citizen child needs.
DIRECTORY = {
    "version": "test-directory-1",
    "providers": [
        {"id": "protector-sel", "name": "Protector", "services": ["child_protector"],
         "states": ["selangor"], "priority": 1},
        {"id": "shelter-a", "name": "Shelter A", "services": ["safe_shelter"],
         "states": ["selangor"], "priority": 1},
        {"id": "shelter-b", "name": "Shelter B", "services": ["safe_shelter"],
         "states": ["selangor"], "priority": 2},
        {"id": "clinic-1", "name": "Clinic", "services": ["health"], "states": ["*"]},
        {"id": "legal-1", "name": "Legal aid", "services": ["legal_aid"], "states": ["*"]},
    ],
}  # fmt: skip


@pytest.fixture
async def escalating(stack, schema, tmp_path, clock):
    """The router with a policy whose shelters' silence escalates instead of re-routing."""
    policy = (
        DEFAULT_POLICY_FILE.read_text()
        .replace("[windows.safe_shelter]\n", '[windows.safe_shelter]\nsilence = "escalate"\n')
        .replace("offer_to = 3\n", "offer_to = 1\n")  # one shelter at a time here
    )
    (tmp_path / "policy.toml").write_text(policy)
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps(DIRECTORY))
    settings = RouterSettings(
        **stack.kafka_settings("router"),
        database_url=stack.database_url,
        directory_file=directory,
        policy_file=tmp_path / "policy.toml",
    )
    runtime = Runtime(build(settings, schema=schema, clock=clock))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def _escalation(referral, *, at, level: int = 1, undelivered: bool = False):
    """The sla-monitor's escalation: at once for an undelivered referral, else at a deadline."""
    payload = DeadlineMissed(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        requested_at=referral.requested_at,
        due_at=referral.due_at,
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=at,
        escalation_level=level,
        cause="the referral could not be delivered to shelter-a" if undelivered else None,
        referral_undelivered=undelivered,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/sla-monitor")


async def _shelter(router, case_opened, outbox):
    await router.deliver(case_opened())
    (shelter,) = [
        e
        for _, e in await outbox(router)
        if isinstance(e, ReferralRequested) and e.service is S.SAFE_SHELTER
    ]
    # The case's first referrals on the topic before a test starts reading it: a tail
    # opened now sees only what comes after.
    async with asyncio.timeout(30):
        while await router.service.db.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        ):
            await asyncio.sleep(0.05)
    return shelter


async def test_an_undelivered_referral_is_re_routed_though_silence_only_escalates(
    escalating, case_opened, outbox, referrals, clock, tail
):
    shelter = await _shelter(escalating, case_opened, outbox)
    topic = await tail(REFERRALS)
    queued = len(await outbox(escalating))
    # Silence first (another referral's way): the policy keeps the shelter.
    failed_at = clock.at + timedelta(minutes=2)
    clock.at = failed_at

    await escalating.deliver(_escalation(shelter, at=failed_at, undelivered=True))
    # The same escalation raised again, or the next level, moves nothing more.
    await escalating.deliver(_escalation(shelter, at=failed_at, undelivered=True))
    await escalating.deliver(_escalation(shelter, at=shelter.due_at, level=2))

    rerouted, requested = [e for _, e in (await outbox(escalating))[queued:]]
    assert isinstance(rerouted, ReferralRerouted)
    assert (rerouted.provider_id, rerouted.new_provider_id) == ("shelter-a", "shelter-b")
    assert rerouted.reason.startswith("shelter-a could not be sent the referral")
    assert rerouted.reason_code == "undelivered"
    assert isinstance(requested, ReferralRequested)
    assert (requested.provider_id, requested.attempt) == ("shelter-b", 2)
    # The new shelter's window counts from when the failure was known: a whole one.
    assert requested.requested_at == failed_at
    assert requested.overdue_since is None

    stored = {r["referral_id"]: r for r in await referrals(escalating)}
    assert stored[shelter.referral_id]["status"] == "withdrawn"
    assert stored[requested.referral_id]["status"] == "requested"
    assert stored[requested.referral_id]["provider_id"] == "shelter-b"

    # On the topic, as the sla-monitor and the notifier will read it: once each.
    case_key = str(shelter.case_id).encode()

    def ours(records):
        return [decode(r.value, r.headers).data for r in records if r.key == case_key]

    await topic.until(lambda records: len(ours(records)) >= 2)
    on_topic = ours(await topic.to_end())
    assert [type(e) for e in on_topic] == [ReferralRerouted, ReferralRequested]
    assert on_topic[1].referral_id == requested.referral_id


async def test_silence_alone_still_only_escalates(escalating, case_opened, outbox, referrals):
    shelter = await _shelter(escalating, case_opened, outbox)
    queued = len(await outbox(escalating))

    for level in (1, 2, 3):
        await escalating.deliver(_escalation(shelter, at=shelter.due_at, level=level))

    assert (await outbox(escalating))[queued:] == []
    (row,) = [r for r in await referrals(escalating) if r["referral_id"] == shelter.referral_id]
    assert row["status"] == "requested"


async def test_undelivered_while_paused_is_re_routed_once_the_clock_runs_again(
    escalating, case_opened, outbox, referrals, clock
):
    shelter = await _shelter(escalating, case_opened, outbox)

    async def clock_change(action: ClockAction, at):
        request = ClockChangeRequested(
            request_id=uuid.uuid4(),
            referral_id=shelter.referral_id,
            case_id=shelter.case_id,
            action=action,
            coordinator_id="coordinator-sel",
            at=at,
            reason="child_in_hospital",
        )
        await escalating.deliver(
            Envelope.wrap(request, event_id=uuid.uuid4(), time=at, source="/lindung/intake")
        )

    paused_at = clock.at + timedelta(minutes=1)
    await clock_change(ClockAction.PAUSE, paused_at)
    queued = len(await outbox(escalating))
    failed_at = paused_at + timedelta(minutes=1)
    await escalating.deliver(_escalation(shelter, at=failed_at, undelivered=True))

    # Paused: remembered, not re-routed (the coordinator chose to wait).
    assert (await outbox(escalating))[queued:] == []
    (row,) = [r for r in await referrals(escalating) if r["referral_id"] == shelter.referral_id]
    assert (row["status"], row["undelivered_at"]) == ("requested", failed_at)

    resumed_at = failed_at + timedelta(minutes=30)
    await clock_change(ClockAction.RESUME, resumed_at)
    queued = len(await outbox(escalating))
    # Its next escalation (level 2: level 1 went out with the failure) re-routes it.
    level2_at = resumed_at + timedelta(hours=5)
    clock.at = level2_at
    await escalating.deliver(_escalation(shelter, at=level2_at, level=2))

    rerouted, requested = [e for _, e in (await outbox(escalating))[queued:]]
    assert isinstance(rerouted, ReferralRerouted)
    assert rerouted.new_provider_id == "shelter-b"
    assert requested.requested_at == level2_at
