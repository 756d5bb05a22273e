"""A case coordinator pauses and resumes a referral's clock, with a reason, recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import (
    PROVIDER_RESPONSES,
    ClockAction,
    ClockChangeRequested,
    Envelope,
    ReasonCode,
    ReferralRerouted,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
REASON = {"reason": "child_in_hospital"}


@pytest.fixture
async def referral(wired, referral_requested):
    envelope = referral_requested(provider_id="shelter-kl-1")
    await wired.runtime.deliver(envelope, consumer="intake")
    return envelope.data


async def _recorded(wired) -> list[dict[str, object]]:
    async with wired.runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM clock_changes ORDER BY at, action DESC")
    return [dict(row) for row in rows]


async def test_a_pause_is_recorded_with_its_reason_and_queued_for_the_router(
    client, callers, referral, outbox, wired
):
    response = await client.post(
        f"/v1/referrals/{referral.referral_id}/pause", json=REASON, headers=callers.coordinator
    )

    assert response.status_code == 202, response.text
    request_id = uuid.UUID(response.json()["request_id"])
    (row,) = await outbox()
    assert row["topic"] == PROVIDER_RESPONSES.name
    assert bytes(row["key"]) == str(referral.case_id).encode()
    assert row["event"].data == ClockChangeRequested(
        request_id=request_id,
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        action=ClockAction.PAUSE,
        coordinator_id="coordinator-kl",
        reason=ReasonCode.CHILD_IN_HOSPITAL,
        at=NOW,
    )
    (recorded,) = await _recorded(wired)
    assert recorded["coordinator_id"] == "coordinator-kl"
    assert recorded["reason"] == "child_in_hospital"


async def test_pause_then_resume_each_once_and_the_wrong_order_is_409(client, callers, referral):
    url = f"/v1/referrals/{referral.referral_id}"
    not_paused = await client.post(f"{url}/resume", json=REASON, headers=callers.coordinator)
    paused = await client.post(f"{url}/pause", json=REASON, headers=callers.coordinator)
    again = await client.post(f"{url}/pause", json=REASON, headers=callers.coordinator)
    resumed = await client.post(f"{url}/resume", json=REASON, headers=callers.coordinator)

    assert not_paused.status_code == 409
    assert not_paused.json() == {
        "errors": [{"field": "referral", "reason": "its clock is not paused"}]
    }
    assert paused.status_code == 202
    assert again.status_code == 409
    assert "already paused" in again.json()["errors"][0]["reason"]
    assert resumed.status_code == 202


async def test_only_a_referral_awaiting_acceptance_has_a_clock(client, callers, referral):
    accepted = await client.post(
        f"/v1/referrals/{referral.referral_id}/accept", headers=callers.provider
    )
    assert accepted.status_code == 202

    response = await client.post(
        f"/v1/referrals/{referral.referral_id}/pause", json=REASON, headers=callers.coordinator
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["reason"].startswith("is accepted")


async def test_a_withdrawn_referral_cannot_be_paused(client, callers, referral, wired):
    rerouted = ReferralRerouted(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=NOW,
        reason="did not answer before the deadline",
        new_referral_id=uuid.uuid4(),
        new_provider_id="shelter-kl-2",
    )
    envelope = Envelope.wrap(rerouted, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")
    await wired.runtime.deliver(envelope, consumer="intake")

    response = await client.post(
        f"/v1/referrals/{referral.referral_id}/pause", json=REASON, headers=callers.coordinator
    )

    assert response.status_code == 409
    assert "withdrawn" in response.json()["errors"][0]["reason"]


@pytest.mark.parametrize("who", ["agency", "provider"])
async def test_only_a_coordinator_key_may_pause(client, callers, referral, who):
    response = await client.post(
        f"/v1/referrals/{referral.referral_id}/pause", json=REASON, headers=getattr(callers, who)
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "authorization"


async def test_a_pause_needs_a_reason_code_and_an_existing_referral(
    client, callers, referral, outbox
):
    url = f"/v1/referrals/{referral.referral_id}/pause"
    no_reason = await client.post(url, json={}, headers=callers.coordinator)
    only_words = await client.post(url, json={"note": "In ward 4."}, headers=callers.coordinator)
    blank = await client.post(url, json={"reason": ""}, headers=callers.coordinator)
    words = await client.post(
        url, json={"reason": "Aye Aye Mon is in hospital"}, headers=callers.coordinator
    )
    unknown = await client.post(
        f"/v1/referrals/{uuid.uuid4()}/pause", json=REASON, headers=callers.coordinator
    )

    for refused in (no_reason, only_words, blank, words):
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    assert "Aye Aye Mon" not in words.text
    assert unknown.status_code == 404
    assert await outbox() == []


@pytest.mark.parametrize(
    ("note", "says"),
    [("  ", "blank"), ("x" * 1001, "1000"), ("Ward 4\nbed 2", "control"), ("A\u0007", "control")],
)
async def test_a_pause_s_note_is_checked_and_never_repeated(
    client, callers, referral, outbox, note, says
):
    response = await client.post(
        f"/v1/referrals/{referral.referral_id}/pause",
        json={"reason": "child_in_hospital", "note": note},
        headers=callers.coordinator,
    )

    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "note"
    assert says in error["reason"]
    if note.strip():
        assert note.strip() not in error["reason"]
    assert await outbox() == []
