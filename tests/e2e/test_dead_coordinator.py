"""A case coordinator whose endpoint is gone: the next level hears of it at once.

All four services as processes, on a system of their own (the coordinator's endpoint
answers 404, final at once). Legal aid stays silent and its policy escalates silence, so
level 1 is raised for the coordinator, cannot be delivered, and level 2 reaches the
supervisor at once, saying why.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from lindung_devstack.world import Behaviour

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

AGENCY = "pdrm-selangor"
MISSED = "org.lindung.deadline.missed.v1"


def behaviour(referral: dict[str, Any]) -> Behaviour:
    """Legal aid never answers; everyone else accepts at once."""
    if referral["service"] == "legal_aid":
        return Behaviour("ignore")
    return Behaviour("accept", 0.0)


@pytest.fixture
async def gone_coordinator_system(start_system):
    """A system of its own whose coordinator endpoint answers 404: every alert fails."""

    def coordinator_gone(document: dict[str, Any]) -> None:
        # The stand-in answers 404 there: final at once, like an endpoint that is gone.
        standin = document["roles"]["case_coordinator"]["webhook_url"].split("/roles/")[0]
        document["roles"]["case_coordinator"]["webhook_url"] = f"{standin}/gone"

    return await start_system(behaviour, endpoints=coordinator_gone)


async def test_a_dead_coordinator_endpoint_leads_to_the_next_level(
    gone_coordinator_system, eventually
):
    services, standin, keys = gone_coordinator_system
    body = {
        "agency_reference": f"E2E-GONE-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 15, "gender": "male", "nationality_status": "citizen"},
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

    def supervisor_alerts() -> list[dict[str, Any]]:
        return [
            r.event["data"]  # type: ignore[misc]
            for r in standin.at("/roles/supervisor")
            if r.event["type"] == MISSED and r.event["data"]["case_id"] == case_id  # type: ignore[index]
        ]

    # Legal aid stays silent (its policy escalates): level 1 goes to the coordinator, whose
    # endpoint is gone, so level 2 reaches the supervisor at once, saying why.
    alerts = await eventually(
        lambda: [a for a in supervisor_alerts() if a.get("cause")],
        timeout=60,
        what="level 2 at the supervisor after the coordinator's endpoint failed",
    )
    assert alerts[0]["escalation_level"] == 2
    assert alerts[0]["cause"] == "level 1 could not be delivered to case_coordinator"
