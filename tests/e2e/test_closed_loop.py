"""The closed loop through all four services: a provider completes with an outcome, and
the operations dashboard counts the service as delivered (or not)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from lindung_devstack.world import Behaviour

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

AGENCY = "pdrm-selangor"
REQUESTED = "org.lindung.referral.requested.v1"


def everyone_accepts(_referral: dict[str, Any]) -> Behaviour:
    return Behaviour("accept", 0.0)


async def test_a_completion_s_outcome_reaches_the_dashboard_s_services_delivered(
    start_system, eventually
):
    services, standin, keys = await start_system(everyone_accepts)
    operations = {"Authorization": f"Bearer {keys.operations['operations']}"}

    async def services_delivered() -> dict[str, Any]:
        """The dashboard's figure (the run's database: other tests' completions count too)."""
        async with httpx.AsyncClient(base_url=services["sla-monitor"].url) as dashboard:
            summary = await dashboard.get("/dashboard/api/summary?last=24h", headers=operations)
        assert summary.status_code == 200, summary.text
        figure: dict[str, Any] = summary.json()["services_delivered"]
        return figure

    def tally(figure: dict[str, Any]) -> tuple[int, ...]:
        by_service = {d["service"]: d for d in figure["by_service"]}
        protector = by_service.get("child_protector", {}).get("delivered", 0)
        shelter = by_service.get("safe_shelter", {}).get("partly_delivered", 0)
        counts = (figure["delivered"], figure["partly_delivered"], figure["completed"])
        return (*counts, protector, shelter)

    before = tally(await services_delivered())
    body = {
        "agency_reference": f"E2E-LOOP-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 14, "gender": "female", "nationality_status": "citizen"},
        "situation": {"indicators": ["forced_labour"], "location": "community",
                      "state": "selangor"},
    }  # fmt: skip
    async with httpx.AsyncClient(base_url=services["intake"].url) as intake:
        reported = await intake.post(
            "/v1/identifications",
            json=body,
            headers={"Authorization": f"Bearer {keys.agencies[AGENCY]}"},
        )
        assert reported.status_code == 202, reported.text
        case_id = reported.json()["case_id"]

        def accepted() -> dict[str, dict[str, Any]] | None:
            asked = {
                r.event["data"]["service"]: r.event["data"]  # type: ignore[index]
                for r in standin.at("/providers/")
                if r.event["type"] == REQUESTED and r.event["data"]["case_id"] == case_id  # type: ignore[index]
            }
            done = {a[0] for a in standin.answers if a[1:] == ("accept", 202)}
            wanted = ("child_protector", "safe_shelter")
            ready = all(s in asked and asked[s]["referral_id"] in done for s in wanted)
            return asked if ready else None

        asked = await eventually(accepted, timeout=60, what="the protector and shelter accepting")
        for service, answer in (
            ("child_protector", {"outcome": "delivered"}),
            ("safe_shelter", {"outcome": "partly_delivered", "outcome_reason": "child_missing"}),
        ):
            referral = asked[service]
            completed = await intake.post(
                f"/v1/referrals/{referral['referral_id']}/complete",
                json=answer,
                headers={"Authorization": f"Bearer {keys.providers[referral['provider_id']]}"},
            )
            assert completed.status_code == 202, completed.text

    async def counted() -> dict[str, Any] | None:
        figure = await services_delivered()
        return figure if figure["completed"] >= before[2] + 2 else None

    figure = await eventually(counted, timeout=30, what="the dashboard counting both")

    # One more delivered (the protector), one more partly (the shelter), two more completed.
    # The page, for people signed in, shows the same figure: the sla-monitor's integration
    # test `test_services_delivered.py` reads it there.
    assert [a - b for a, b in zip(tally(figure), before, strict=True)] == [1, 1, 2, 1, 1]
