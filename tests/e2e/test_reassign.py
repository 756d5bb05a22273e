"""A coordinator sends a silent referral to a provider they have just phoned.

All four services as separate processes on the real broker and PostgreSQL. Legal aid's
policy escalates silence rather than re-routing it (tests/e2e/policy.toml), so the first
legal-aid provider keeps the referral until the coordinator moves it: to a provider the
router would not have picked next. The first is told, in words, and its late accept is
refused; the chosen one is asked with a fresh deadline and accepts.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from lindung_devstack.world import Behaviour

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

AGENCY = "pdrm-selangor"
COORDINATOR = "coordinator-sel"
FIRST = "legal-aid-sel-1"  # the demo directory's first in Selangor
CHOSEN = "legal-aid-national"  # not the router's next choice (that is legal-aid-sel-2)
LEGAL_AID_WINDOW = timedelta(seconds=8)  # tests/e2e/policy.toml
REQUESTED = "org.lindung.referral.requested.v1"
REROUTED = "org.lindung.referral.rerouted.v1"


def behaviour(referral: dict[str, Any]) -> Behaviour:
    """The first legal-aid provider never answers; everyone else accepts at once."""
    if referral["provider_id"] == FIRST:
        return Behaviour("ignore")
    return Behaviour("accept", 0.0)


def _events(standin: Any, provider_id: str, kind: str, case_id: str) -> list[dict[str, Any]]:
    return [
        r.event["data"]
        for r in standin.at(f"/providers/{provider_id}")
        if r.event["type"] == kind and r.event["data"]["case_id"] == case_id
    ]


async def test_a_coordinator_sends_a_referral_to_the_provider_they_phoned(start_system, eventually):
    services, standin, keys = await start_system(behaviour)
    coordinator = {"Authorization": f"Bearer {keys.coordinators[COORDINATOR]}"}
    first_key = {"Authorization": f"Bearer {keys.providers[FIRST]}"}
    body = {
        "agency_reference": f"E2E-REASSIGN-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 13, "gender": "female", "nationality_status": "citizen"},
        "situation": {"location": "community", "state": "selangor"},
    }
    async with httpx.AsyncClient(base_url=services["intake"].url) as client:
        response = await client.post(
            "/v1/identifications",
            json=body,
            headers={"Authorization": f"Bearer {keys.agencies[AGENCY]}"},
        )
        assert response.status_code == 202, response.text
        case_id = response.json()["case_id"]
        (first,) = await eventually(
            lambda: _events(standin, FIRST, REQUESTED, case_id),
            timeout=60,
            what="the legal-aid referral at the first provider",
        )
        url = f"/v1/referrals/{first['referral_id']}/reassign"

        moved = await client.post(
            url,
            json={"provider_id": CHOSEN, "reason": "coordinator_arranged", "note": "By phone."},
            headers=coordinator,
        )
        again = await client.post(url, json={"reason": "other"}, headers=coordinator)
        assert moved.status_code == 202, moved.text
        assert again.status_code == 409, again.text

        (asked,) = await eventually(
            lambda: _events(standin, CHOSEN, REQUESTED, case_id),
            timeout=60,
            what="the referral at the chosen provider",
        )
        (told,) = await eventually(
            lambda: _events(standin, FIRST, REROUTED, case_id),
            timeout=60,
            what="the withdrawal at the first provider",
        )

        # Once intake has heard of the withdrawal (it may hear after the notifier has told
        # the provider), the first provider's late accept is refused.
        async def late_answer() -> int:
            late = await client.post(
                f"/v1/referrals/{first['referral_id']}/accept", headers=first_key
            )
            return late.status_code

        refused = time.monotonic() + 10
        while (code := await late_answer()) != 409 and time.monotonic() < refused:
            await asyncio.sleep(0.1)
        assert code == 409

    assert (asked["attempt"], asked["matched_by"]) == (
        2,
        f"chosen by case coordinator {COORDINATOR}",
    )
    requested_at = datetime.fromisoformat(asked["requested_at"])
    assert datetime.fromisoformat(asked["due_at"]) - requested_at == LEGAL_AID_WINDOW
    assert (told["referral_id"], told["new_referral_id"], told["new_provider_id"]) == (
        first["referral_id"],
        asked["referral_id"],
        CHOSEN,
    )
    assert (told["reason_code"], told["coordinator_id"]) == ("coordinator_arranged", COORDINATOR)
    # The chosen provider accepted its referral through intake.
    await eventually(
        lambda: (asked["referral_id"], "accept", 202) in standin.answers,
        timeout=30,
        what="the chosen provider's acceptance",
    )
    # The coordinator's words went nowhere but intake's sealed notes.
    assert all("By phone." not in str(r.event) for r in standin.received)
