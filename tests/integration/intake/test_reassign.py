"""A case coordinator sends a referral to another provider: recorded, sealed, passed on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import (
    PROVIDER_RESPONSES,
    Envelope,
    ReasonCode,
    ReferralReassignmentRequested,
    ReferralRerouted,
)
from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.use_cases import Forbidden, NotFound

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
WORDS = "Phoned Shelter Two: they have a bed for Aye Aye Mon tonight."


@pytest.fixture
async def referral(wired, referral_requested):
    envelope = referral_requested(provider_id="shelter-kl-1")
    await wired.runtime.deliver(envelope, consumer="intake")
    return envelope.data


def _url(referral) -> str:
    return f"/v1/referrals/{referral.referral_id}/reassign"


async def test_a_reassignment_is_recorded_its_note_sealed_and_queued_for_the_router(
    client, callers, referral, outbox, wired
):
    body = {"provider_id": "shelter-kl-2", "reason": "coordinator_arranged", "note": WORDS}
    response = await client.post(_url(referral), json=body, headers=callers.coordinator)

    assert response.status_code == 202, response.text
    request_id = uuid.UUID(response.json()["request_id"])
    (row,) = await outbox()
    assert row["topic"] == PROVIDER_RESPONSES.name
    assert bytes(row["key"]) == str(referral.case_id).encode()
    assert row["event"].data == ReferralReassignmentRequested(
        request_id=request_id,
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        coordinator_id="coordinator-kl",
        provider_id="shelter-kl-2",
        reason=ReasonCode.COORDINATOR_ARRANGED,
        at=NOW,
    )
    assert b"Aye Aye Mon" not in bytes(row["value"])
    async with wired.runtime.service.db.pool.acquire() as conn:
        kept = await conn.fetchrow("SELECT * FROM reassignments")
        note = await conn.fetchrow("SELECT * FROM notes")
    assert (kept["request_id"], kept["provider_id"], kept["reason"]) == (
        request_id,
        "shelter-kl-2",
        "coordinator_arranged",
    )
    assert (note["about"], note["source_id"], note["writer_id"]) == (
        "reassign",
        request_id,
        "coordinator-kl",
    )
    assert b"Aye Aye Mon" not in bytes(note["words"])
    notes = await client.get(
        f"/v1/referrals/{referral.referral_id}/notes", headers=callers.coordinator
    )
    assert [(n["about"], n["words"]) for n in notes.json()["notes"]] == [("reassign", WORDS)]


async def test_the_next_suitable_provider_and_one_request_per_referral(
    client, callers, referral, outbox
):
    first = await client.post(
        _url(referral), json={"reason": "at_capacity"}, headers=callers.coordinator
    )
    second = await client.post(
        _url(referral),
        json={"provider_id": "shelter-kl-2", "reason": "coordinator_arranged"},
        headers=callers.coordinator,
    )

    assert first.status_code == 202, first.text
    (row,) = await outbox()
    assert row["event"].data.provider_id is None
    assert second.status_code == 409
    (error,) = second.json()["errors"]
    assert error["field"] == "referral"
    assert error["reason"].startswith("is being sent to another provider already")


@pytest.mark.parametrize("who", ["agency", "provider", "other_provider", "operations"])
async def test_only_a_coordinator_key_may_reassign(client, callers, referral, outbox, who):
    response = await client.post(
        _url(referral), json={"reason": "coordinator_arranged"}, headers=getattr(callers, who)
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "authorization"
    assert await outbox() == []


async def test_an_unknown_referral_is_404_and_an_accepted_one_409(
    client, callers, referral, outbox
):
    unknown = await client.post(
        f"/v1/referrals/{uuid.uuid4()}/reassign",
        json={"reason": "coordinator_arranged"},
        headers=callers.coordinator,
    )
    accepted = await client.post(
        f"/v1/referrals/{referral.referral_id}/accept", headers=callers.provider
    )
    assert accepted.status_code == 202
    queued = len(await outbox())

    refused = await client.post(
        _url(referral), json={"reason": "coordinator_arranged"}, headers=callers.coordinator
    )

    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "path"
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["reason"].startswith("is accepted")
    assert len(await outbox()) == queued


async def test_a_withdrawn_referral_is_409_and_so_is_its_first_provider_s_late_accept(
    client, callers, referral, wired
):
    rerouted = ReferralRerouted(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=NOW,
        reason="shelter-kl-1 was withdrawn by case coordinator coordinator-kl: at_capacity",
        new_referral_id=uuid.uuid4(),
        new_provider_id="shelter-kl-2",
        reason_code=ReasonCode.AT_CAPACITY,
        coordinator_id="coordinator-kl",
    )
    envelope = Envelope.wrap(rerouted, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")
    await wired.runtime.deliver(envelope, consumer="intake")

    again = await client.post(
        _url(referral), json={"reason": "coordinator_arranged"}, headers=callers.coordinator
    )
    late = await client.post(
        f"/v1/referrals/{referral.referral_id}/accept", headers=callers.provider
    )

    assert again.status_code == 409
    assert "withdrawn" in again.json()["errors"][0]["reason"]
    assert late.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": "Aye Aye Mon is safe elsewhere"}, "reason"),
        ({"reason": "other", "provider_id": "Shelter Two"}, "provider_id"),
        ({"reason": "other", "note": "  "}, "note"),
    ],
)
async def test_a_wrong_body_is_422_and_never_repeated(
    client, callers, referral, outbox, body, field
):
    response = await client.post(_url(referral), json=body, headers=callers.coordinator)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert "Aye Aye Mon" not in response.text
    assert await outbox() == []


async def test_the_use_case_refuses_a_provider_as_the_api_would(wired, referral):
    """The desk calls the use case with a person's principal: no HTTP check in front."""
    own = Principal(PrincipalKind.PROVIDER, "shelter-kl-1")
    other = Principal(PrincipalKind.PROVIDER, "shelter-kl-2")

    with pytest.raises(Forbidden):
        await wired.intake.reassign(own, referral.referral_id, None, ReasonCode.OTHER)
    with pytest.raises(NotFound):
        await wired.intake.reassign(other, referral.referral_id, None, ReasonCode.OTHER)
    with pytest.raises(NotFound):
        await wired.intake.reassign(other, uuid.uuid4(), None, ReasonCode.OTHER)
