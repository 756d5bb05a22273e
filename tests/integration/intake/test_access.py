"""Every caller is authenticated, and each kind of caller may do only its own thing."""

from __future__ import annotations

import pytest
from lindung_common.keys import hash_key

pytestmark = pytest.mark.integration


def _problem_fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-key-anyone-holds"},
        {"Authorization": "Basic cGRybS1rbDpzZWNyZXQ="},
        # The stored hash is not a key: knowing the file must not let anyone in.
        {"Authorization": "Bearer " + "0" * 64},
    ],
    ids=["no-key", "unknown-key", "basic-auth", "a-hash"],
)
async def test_an_unauthenticated_identification_is_refused(
    client, identification, outbox, headers
):
    response = await client.post("/v1/identifications", json=identification(), headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert _problem_fields(response) == ["authorization"]
    assert await outbox() == []


async def test_a_stored_hash_presented_as_a_key_is_refused(
    client, identification, callers, outbox, key_secret
):
    key = callers.agency["Authorization"].removeprefix("Bearer ")
    response = await client.post(
        "/v1/identifications",
        json=identification(),
        headers={"Authorization": f"Bearer {hash_key(key, key_secret.encode())}"},
    )
    assert response.status_code == 401


async def test_an_unauthenticated_caller_learns_nothing_about_the_body(client):
    response = await client.post("/v1/identifications", json={"nonsense": True})
    assert response.status_code == 401
    assert _problem_fields(response) == ["authorization"]


async def test_an_unauthenticated_answer_to_a_referral_is_refused(
    wired, client, referral_requested, outbox
):
    referral = referral_requested()
    await wired.runtime.deliver(referral, consumer="intake")
    url = f"/v1/referrals/{referral.data.referral_id}/accept"

    assert (await client.post(url)).status_code == 401
    bad_key = {"Authorization": "Bearer nope"}
    assert (await client.post(url, headers=bad_key)).status_code == 401
    assert await outbox() == []


async def test_a_provider_key_cannot_report_an_identification(
    client, callers, identification, outbox
):
    response = await client.post(
        "/v1/identifications", json=identification(), headers=callers.provider
    )
    assert response.status_code == 403
    assert _problem_fields(response) == ["authorization"]
    assert await outbox() == []


async def test_an_agency_key_cannot_answer_a_referral(
    wired, client, callers, referral_requested, outbox
):
    referral = referral_requested()
    await wired.runtime.deliver(referral, consumer="intake")
    response = await client.post(
        f"/v1/referrals/{referral.data.referral_id}/accept", headers=callers.agency
    )
    assert response.status_code == 403
    assert _problem_fields(response) == ["authorization"]
    assert await outbox() == []
