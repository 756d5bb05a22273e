"""Providers answer referrals addressed to them; nobody else's; a repeat changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from lindung_contracts import (
    PROVIDER_RESPONSES,
    Envelope,
    Outcome,
    ProviderResponded,
    ReasonCode,
    ReferralRerouted,
    ResponseKind,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time


@pytest.fixture
async def referral(wired, referral_requested):
    """A referral to shelter-kl-1, as intake learns of it from the router."""
    envelope = referral_requested(provider_id="shelter-kl-1")
    await wired.runtime.deliver(envelope, consumer="intake")
    return envelope.data


def _url(referral_id: object, action: str) -> str:
    return f"/v1/referrals/{referral_id}/{action}"


async def test_the_addressed_provider_accepts_and_provider_responded_is_queued(
    client, callers, referral, outbox
):
    response = await client.post(_url(referral.referral_id, "accept"), headers=callers.provider)

    assert response.status_code == 202
    response_id = uuid.UUID(response.json()["response_id"])
    rows = await outbox()
    assert len(rows) == 1
    answer = rows[0]["event"].data
    assert isinstance(answer, ProviderResponded)
    assert answer == ProviderResponded(
        response_id=response_id,
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id="shelter-kl-1",
        response=ResponseKind.ACCEPTED,
        reason=None,
        responded_at=NOW,
    )
    assert rows[0]["topic"] == PROVIDER_RESPONSES.name
    assert bytes(rows[0]["key"]) == str(referral.case_id).encode()


async def test_a_repeated_accept_returns_the_same_answer_and_queues_nothing(
    client, callers, referral, outbox
):
    url = _url(referral.referral_id, "accept")
    first = await client.post(url, headers=callers.provider)
    again = await client.post(url, headers=callers.provider)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert len(await outbox()) == 1


async def test_each_kind_of_answer_is_recorded_once(client, callers, referral, outbox):
    for action in ("accept", "start", "complete", "start"):
        response = await client.post(_url(referral.referral_id, action), headers=callers.provider)
        assert response.status_code == 202
    responses = [row["event"].data.response for row in await outbox()]
    assert responses == [ResponseKind.ACCEPTED, ResponseKind.STARTED, ResponseKind.COMPLETED]


async def test_another_provider_gets_the_same_404_as_for_an_unknown_referral(
    client, callers, referral, outbox
):
    theirs = await client.post(_url(referral.referral_id, "accept"), headers=callers.other_provider)
    unknown_id = uuid.uuid4()
    unknown = await client.post(_url(unknown_id, "accept"), headers=callers.other_provider)

    assert (theirs.status_code, unknown.status_code) == (404, 404)
    # Identical apart from the id asked about: no hint that the referral exists.
    shape = theirs.json()
    assert shape == {
        "errors": [{"field": "path", "reason": f"referral {referral.referral_id} not found"}]
    }
    assert unknown.json() == {
        "errors": [{"field": "path", "reason": f"referral {unknown_id} not found"}]
    }
    assert await outbox() == []


async def test_another_provider_cannot_decline_it_either(client, callers, referral, outbox):
    response = await client.post(
        _url(referral.referral_id, "decline"),
        json={"reason": "at_capacity", "note": "No bed tonight."},
        headers=callers.other_provider,
    )
    assert response.status_code == 404
    assert await outbox() == []


@pytest.mark.parametrize("body", [None, {}, {"reason": None}, {"note": "We are full tonight."}])
async def test_a_decline_without_a_reason_code_is_refused_naming_reason(
    client, callers, referral, outbox, body
):
    url = _url(referral.referral_id, "decline")
    response = await client.post(url, headers=callers.provider, json=body)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    assert await outbox() == []


async def test_a_decline_with_a_reason_code_carries_it(client, callers, referral, outbox):
    response = await client.post(
        _url(referral.referral_id, "decline"),
        json={"reason": "at_capacity"},
        headers=callers.provider,
    )
    assert response.status_code == 202
    answer = (await outbox())[0]["event"].data
    assert (answer.response, answer.reason) == (ResponseKind.DECLINED, ReasonCode.AT_CAPACITY)


@pytest.mark.parametrize("reason", ["at capacity tonight", "Aye Aye Mon is 15", "AT_CAPACITY", 3])
async def test_words_or_an_unknown_code_as_the_reason_are_refused_without_repeating_them(
    client, callers, referral, outbox, reason
):
    response = await client.post(
        _url(referral.referral_id, "decline"),
        json={"reason": reason},
        headers=callers.provider,
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "reason"
    assert "at_capacity" in error["reason"]  # it lists the codes
    if isinstance(reason, str) and reason != "AT_CAPACITY":
        assert reason not in response.text
    assert await outbox() == []


async def test_an_unknown_action_is_refused_naming_it(client, callers, referral):
    response = await client.post(_url(referral.referral_id, "ignore"), headers=callers.provider)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["action"]


async def test_a_referral_heard_of_twice_is_remembered_once(
    wired, client, callers, referral_requested
):
    envelope = referral_requested()
    await wired.runtime.deliver(envelope, consumer="intake")
    await wired.runtime.deliver(envelope, consumer="intake")  # redelivered
    async with wired.runtime.service.db.pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM referral_access")
    assert count == 1
    response = await client.post(
        _url(envelope.data.referral_id, "accept"), headers=callers.provider
    )
    assert response.status_code == 202


async def test_a_note_with_a_nul_character_is_refused_not_a_server_error(
    wired, callers, referral, outbox
):
    transport = httpx.ASGITransport(app=wired.api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        response = await client.post(
            _url(referral.referral_id, "decline"),
            json={"reason": "at_capacity", "note": "full\u0000tonight"},
            headers=callers.provider,
        )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["note"]
    assert "tonight" not in response.text
    assert await outbox() == []


async def test_a_referral_taken_back_from_its_provider_is_refused_with_409(
    wired, client, callers, referral, outbox
):
    withdrawn = ReferralRerouted(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=NOW,
        reason="re-routed after shelter-kl-1 did not answer before the deadline",
        new_referral_id=uuid.uuid4(),
        new_provider_id="shelter-kl-2",
    )
    envelope = Envelope.wrap(withdrawn, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")
    await wired.runtime.deliver(envelope, consumer="intake")

    response = await client.post(_url(referral.referral_id, "accept"), headers=callers.provider)

    assert response.status_code == 409
    (error,) = response.json()["errors"]
    assert error["field"] == "referral"
    assert "withdrawn" in error["reason"]
    assert "shelter-kl-2" not in response.text  # nothing of who has it now
    assert await outbox() == []


async def test_an_answer_quicker_than_intake_s_news_of_the_referral_still_sticks(
    wired, client, callers, referral_requested, outbox
):
    # The provider answers its webhook before intake has read the same ReferralRequested.
    envelope = referral_requested(provider_id="shelter-kl-1")
    referral = envelope.data
    answering = asyncio.create_task(
        client.post(_url(referral.referral_id, "accept"), headers=callers.provider)
    )
    await asyncio.sleep(0.2)
    await wired.runtime.deliver(envelope, consumer="intake")
    response = await answering

    assert response.status_code == 202, response.text
    (row,) = await outbox()
    answer = row["event"].data
    assert (answer.referral_id, answer.response) == (referral.referral_id, ResponseKind.ACCEPTED)
    # The answer keeps its own time, from before intake knew the referral.
    assert answer.responded_at == NOW
    other = await client.post(_url(referral.referral_id, "accept"), headers=callers.other_provider)
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("first", "then", "state"),
    [
        (None, "start", "requested"),
        (None, "complete", "requested"),
        ("accept", "decline", "accepted"),
        ("decline", "accept", "declined"),
        ("fail", "start", "failed"),
    ],
)
async def test_an_answer_the_referral_s_state_does_not_allow_gets_409_with_that_state(
    client, callers, referral, outbox, first, then, state
):
    body = {"reason": "other"}
    if first is not None:
        ok = await client.post(
            _url(referral.referral_id, first), headers=callers.provider, json=body
        )
        assert ok.status_code == 202
    queued = len(await outbox())

    response = await client.post(
        _url(referral.referral_id, then), headers=callers.provider, json=body
    )

    assert response.status_code == 409
    (error,) = response.json()["errors"]
    assert error["field"] == "response"
    assert error["reason"].endswith(f"the referral is {state}")
    assert len(await outbox()) == queued  # nothing reaches the router


async def test_the_whole_lifecycle_goes_through_and_a_repeat_changes_nothing(
    client, callers, referral, outbox
):
    ids = []
    for action in ("accept", "accept", "start", "complete"):
        response = await client.post(_url(referral.referral_id, action), headers=callers.provider)
        assert response.status_code == 202, response.text
        ids.append(response.json()["response_id"])
    assert ids[0] == ids[1]
    assert [r["event"].data.response for r in await outbox()] == [
        ResponseKind.ACCEPTED,
        ResponseKind.STARTED,
        ResponseKind.COMPLETED,
    ]


async def test_a_completion_says_what_was_done_and_its_words_are_sealed_not_sent(
    wired, client, callers, referral, outbox
):
    url = referral.referral_id
    assert (await client.post(_url(url, "accept"), headers=callers.provider)).status_code == 202
    words = "Aye Aye Mon left the shelter on the second night."
    response = await client.post(
        _url(url, "complete"),
        json={"outcome": "partly_delivered", "outcome_reason": "child_missing", "note": words},
        headers=callers.provider,
    )

    assert response.status_code == 202, response.text
    completed = (await outbox())[-1]["event"].data
    assert (completed.response, completed.outcome, completed.outcome_reason, completed.reason) == (
        ResponseKind.COMPLETED,
        Outcome.PARTLY_DELIVERED,
        ReasonCode.CHILD_MISSING,
        None,
    )
    assert words not in completed.model_dump_json()
    async with wired.runtime.service.db.pool.acquire() as conn:
        note = await conn.fetchrow("SELECT about, reason, words FROM notes")
    assert (note["about"], note["reason"]) == ("complete", "child_missing")
    assert words.encode() not in bytes(note["words"])


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("accept", {"outcome": "delivered"}, "outcome"),
        ("decline", {"reason": "at_capacity", "outcome": "not_delivered"}, "outcome"),
        ("complete", {"outcome": "not_delivered"}, "outcome_reason"),
        ("complete", {"outcome": "delivered", "outcome_reason": "other"}, "outcome_reason"),
        ("complete", {"outcome": "done"}, "outcome"),
    ],
    ids=["accept", "decline", "no-reason", "reason-when-delivered", "unknown-outcome"],
)
async def test_an_outcome_only_completes_and_one_short_of_delivered_says_why(
    client, callers, referral, outbox, action, body, field
):
    assert (
        await client.post(_url(referral.referral_id, "accept"), headers=callers.provider)
    ).status_code == 202
    response = await client.post(
        _url(referral.referral_id, action), json=body, headers=callers.provider
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert [row["event"].data.response for row in await outbox()] == [ResponseKind.ACCEPTED]
