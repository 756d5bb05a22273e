"""A case coordinator closes a case: recorded, its note sealed, passed on; the case reads closed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common.keys import hash_key
from lindung_contracts import (
    PROVIDER_RESPONSES,
    CaseClosed,
    CaseCloseRequested,
    CaseOutcome,
    Envelope,
    ReasonCode,
    ReferralCancelled,
)
from lindung_intake.adapters.notes import open_words
from lindung_intake.adapters.sealing import DataKeys, Sealed

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
WORDS = "Aye Aye Mon went home with her aunt after the Protector's decision."
# Coordinators' keys bound to the states they cover (the case's child is in Kuala Lumpur).
BOUND = {
    "key-of-coordinator-sel-8d1f": ("coordinator-sel", ["selangor", "kuala_lumpur"]),
    "key-of-coordinator-jhr-2c7b": ("coordinator-jhr", ["johor"]),
}
SEL, JHR = ({"Authorization": f"Bearer {key}"} for key in BOUND)


@pytest.fixture
def keys_file(keys_file, key_secret):
    """The test keys, and coordinators' keys bound to states."""
    document = json.loads(keys_file.read_text())
    document["keys"] += [
        {
            "key_id": f"k_{who}",
            "hmac_sha256": hash_key(key, key_secret.encode()),
            "kind": "coordinator",
            "id": who,
            "states": states,
        }
        for key, (who, states) in BOUND.items()
    ]
    keys_file.write_text(json.dumps(document))
    return keys_file


@pytest.fixture
async def case_id(client, callers, identification):
    """A case of a child in Kuala Lumpur."""
    response = await client.post(
        "/v1/identifications", json=identification(), headers=callers.agency
    )
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["case_id"])


@pytest.fixture
async def referral(wired, referral_requested, case_id):
    """The case's shelter referral, as the router made it (so the case has been referred)."""
    envelope = referral_requested(provider_id="shelter-kl-1", case_id=case_id)
    await wired.runtime.deliver(envelope, consumer="intake")
    return envelope.data


def _url(case_id) -> str:
    return f"/v1/cases/{case_id}/close"


async def _closings(outbox) -> list[CaseCloseRequested]:
    return [r["event"].data for r in await outbox() if r["topic"] == PROVIDER_RESPONSES.name]


async def test_a_closing_is_recorded_its_note_sealed_and_queued_for_the_router(
    client, case_id, referral, outbox, wired, data_keys
):
    body = {"outcome": "reunified", "reason": "child_declined", "note": f"  {WORDS} "}
    response = await client.post(_url(case_id), json=body, headers=SEL)

    assert response.status_code == 202, response.text
    request_id = uuid.UUID(response.json()["request_id"])
    row = (await outbox())[-1]
    assert row["topic"] == PROVIDER_RESPONSES.name
    assert bytes(row["key"]) == str(case_id).encode()
    assert row["event"].data == CaseCloseRequested(
        request_id=request_id,
        case_id=case_id,
        coordinator_id="coordinator-sel",
        outcome=CaseOutcome.REUNIFIED,
        reason=ReasonCode.CHILD_DECLINED,
        at=NOW,
    )
    assert b"Aye Aye Mon" not in bytes(row["value"])
    async with wired.runtime.service.db.pool.acquire() as conn:
        kept = await conn.fetchrow("SELECT * FROM case_closures")
        note = await conn.fetchrow("SELECT * FROM notes")
    assert (kept["request_id"], kept["outcome"], kept["closed_at"]) == (
        request_id,
        "reunified",
        None,
    )
    assert (note["about"], note["referral_id"], note["case_id"], note["source_id"]) == (
        "close",
        None,
        case_id,
        request_id,
    )
    assert b"Aye Aye Mon" not in bytes(note["words"])
    sealed = Sealed(note["words_key_id"], bytes(note["words"]))
    assert open_words(DataKeys.parse(data_keys), note["note_id"], sealed) == WORDS


async def test_refusals_in_the_one_shape(client, callers, case_id, referral, outbox):
    body = {"outcome": "services_in_place"}
    # Another state's coordinator: exactly like an unknown case.
    other = await client.post(_url(case_id), json=body, headers=JHR)
    unknown = await client.post(_url(uuid.uuid4()), json=body, headers=SEL)
    assert (other.status_code, unknown.status_code) == (404, 404)
    assert other.json()["errors"] == [{"field": "path", "reason": f"case {case_id} not found"}]
    # Only coordinators' keys close cases.
    for caller in (callers.agency, callers.provider):
        refused = await client.post(_url(case_id), json=body, headers=caller)
        assert refused.status_code == 403, refused.text
        assert refused.json()["errors"][0]["field"] == "authorization"
    # An outcome not on the list, a blank note, a field nobody asked for.
    for wrong in (
        {"outcome": "happy"},
        {"outcome": "merged", "note": "   "},
        {"outcome": "merged", "words": "x"},
        {},
    ):
        bad = await client.post(_url(case_id), json=wrong, headers=SEL)
        assert bad.status_code == 422, (wrong, bad.text)
        assert all(set(e) == {"field", "reason"} for e in bad.json()["errors"])
    assert await _closings(outbox) == []

    first = await client.post(_url(case_id), json=body, headers=SEL)
    second = await client.post(_url(case_id), json={"outcome": "merged"}, headers=SEL)
    assert first.status_code == 202, first.text
    assert second.status_code == 409
    assert second.json()["errors"] == [
        {"field": "case", "reason": f"is being closed already, as asked at {NOW.isoformat()}"}
    ]
    assert len(await _closings(outbox)) == 1


async def test_a_case_not_yet_referred_cannot_be_closed_yet(client, case_id, outbox):
    response = await client.post(_url(case_id), json={"outcome": "opened_in_error"}, headers=SEL)

    assert response.status_code == 409
    assert response.json()["errors"][0]["reason"] == (
        "is still being referred to its providers; try again in a moment"
    )
    assert await _closings(outbox) == []


async def test_once_closed_the_case_reads_closed_and_its_cancelled_referral_refuses_answers(
    client, callers, case_id, referral, wired
):
    closing = await client.post(_url(case_id), json={"outcome": "transferred"}, headers=SEL)
    request_id = uuid.UUID(closing.json()["request_id"])
    at = NOW + timedelta(seconds=1)
    cancelled = ReferralCancelled(
        referral_id=referral.referral_id,
        case_id=case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=NOW,
        reason="the case was closed by case coordinator coordinator-sel (transferred)",
        reason_code=ReasonCode.CASE_CLOSED,
        coordinator_id="coordinator-sel",
    )
    closed = CaseClosed(
        request_id=request_id,
        case_id=case_id,
        coordinator_id="coordinator-sel",
        outcome=CaseOutcome.TRANSFERRED,
        cancelled=(referral.referral_id,),
        continuing=(),
        closed_at=NOW,
    )
    await wired.runtime.deliver(
        *(
            Envelope.wrap(e, event_id=uuid.uuid4(), time=at, source="/lindung/router")
            for e in (cancelled, closed)
        ),
        consumer="intake",
    )

    case = (await client.get(f"/v1/cases/{case_id}", headers=SEL)).json()
    assert case["closed"] == {
        "outcome": "transferred",
        "reason": None,
        "closed_by": "coordinator-sel",
        "closed_at": NOW.isoformat().replace("+00:00", "Z"),
    }
    assert [r["status"] for r in case["referrals"]] == ["withdrawn"]
    late = await client.post(
        f"/v1/referrals/{referral.referral_id}/accept", headers=callers.provider
    )
    assert late.status_code == 409, late.text
    again = await client.post(_url(case_id), json={"outcome": "merged"}, headers=SEL)
    assert again.status_code == 409
    assert again.json()["errors"][0]["reason"] == f"was closed at {NOW.isoformat()}"
