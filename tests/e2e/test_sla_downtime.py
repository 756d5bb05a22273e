"""An acceptance made while the sla-monitor is down stops its ladder: nothing is escalated.

All four services as separate processes on the real broker and PostgreSQL. The
sla-monitor is stopped; a provider accepts its referral meanwhile; the referral's whole
ladder comes due; the sla-monitor starts again. Its scheduler waits until its consumer has
read what came while it was down, so the acceptance closes the deadline before any step
could fire: the coordinator hears nothing about a referral that was accepted.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from lindung_contracts import ReferralRequested
from lindung_devstack.world import Behaviour, StandIn

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

AGENCY = "pdrm-selangor"
LEGAL_AID_WINDOW = timedelta(seconds=8)  # tests/e2e/policy.toml; level 3 at twice that


def behaviour(referral: dict[str, Any]) -> Behaviour:
    """Legal aid waits (the test accepts it by hand); every other provider accepts at once."""
    if referral["service"] == "legal_aid":
        return Behaviour("ignore")
    return Behaviour("accept", 0.0)


async def test_an_acceptance_made_while_the_sla_monitor_was_down_is_read_before_any_step_fires(
    stack, start_system, eventually
):
    services, standin, keys = await start_system(behaviour)
    async with httpx.AsyncClient(base_url=services["intake"].url) as client:
        response = await client.post(
            "/v1/identifications",
            json={
                "agency_reference": f"E2E-DOWN-{time.time_ns()}",
                "identified_at": datetime.now(UTC).isoformat(),
                "child": {"age_years": 12, "gender": "male", "nationality_status": "citizen",
                          "languages": ["ms"]},
                "situation": {"location": "community", "state": "selangor"},
            },
            headers={"Authorization": f"Bearer {keys.agencies[AGENCY]}"},
        )  # fmt: skip
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]

    async def legal_aid() -> dict[str, Any] | None:
        for received in standin.at("/providers/"):
            data: Any = received.event["data"]
            if (
                received.event["type"] == ReferralRequested.event_type
                and data["case_id"] == case_id
                and data["service"] == "legal_aid"
            ):
                return data  # type: ignore[no-any-return]
        return None

    referral = await eventually(legal_aid, timeout=60, what="the legal-aid referral")
    referral_id, provider_id = referral["referral_id"], referral["provider_id"]
    conn = await asyncpg.connect(stack.database_url)
    try:

        async def deadline_known() -> bool:
            status = await conn.fetchval(
                "SELECT status FROM sla_monitor.deadlines WHERE referral_id = $1::uuid",
                referral_id,
            )
            return status == "open"

        await eventually(deadline_known, timeout=30, what="the sla-monitor's deadline")

        # The sla-monitor goes down; the provider accepts meanwhile.
        assert await asyncio.to_thread(services["sla-monitor"].stop) == 0
        async with httpx.AsyncClient(base_url=services["intake"].url) as client:
            accepted = await client.post(
                f"/v1/referrals/{referral_id}/accept",
                headers={"Authorization": f"Bearer {keys.providers[provider_id]}"},
            )
        assert accepted.status_code == 202, accepted.text

        async def router_knows() -> bool:
            status = await conn.fetchval(
                "SELECT status FROM router.referrals WHERE referral_id = $1::uuid", referral_id
            )
            return status == "accepted"

        await eventually(router_knows, timeout=30, what="the router's acceptance")

        # The whole ladder comes due while the sla-monitor is down.
        requested_at = datetime.fromisoformat(referral["requested_at"])
        level3_at = requested_at + 2 * LEGAL_AID_WINDOW
        await asyncio.sleep(max(0.0, (level3_at - datetime.now(UTC)).total_seconds()) + 2)
        pending = await conn.fetchval(
            "SELECT count(*) FROM sla_monitor.deadline_steps"
            " WHERE referral_id = $1::uuid AND state = 'pending' AND at < now()",
            referral_id,
        )
        assert pending > 0  # steps are due and unfired: the test can tell
        fired_before = await _fired(conn, referral_id)
        told_before = _told(standin, referral_id)

        services["sla-monitor"].start()
        await asyncio.to_thread(services["sla-monitor"].wait_healthy)

        async def closed() -> str | None:
            row = await conn.fetchrow(
                "SELECT status, closed_reason FROM sla_monitor.deadlines"
                " WHERE referral_id = $1::uuid",
                referral_id,
            )
            return row["closed_reason"] if row and row["status"] == "closed" else None

        assert await eventually(closed, timeout=30, what="the deadline closed") == "accepted"
        await asyncio.sleep(2)  # a scheduler that had raced ahead would have fired by now
        fired_after = await _fired(conn, referral_id)
    finally:
        await conn.close()
    assert fired_after == fired_before  # nothing fired after the restart
    assert _told(standin, referral_id) == told_before
    log = services["sla-monitor"].log_file.read_text()
    assert "consumers caught up; timers run" in log


async def _fired(conn: asyncpg.Connection, referral_id: str) -> list[tuple[int, str]]:
    rows = await conn.fetch(
        "SELECT step_no, kind FROM sla_monitor.deadline_steps"
        " WHERE referral_id = $1::uuid AND state = 'fired' ORDER BY step_no",
        referral_id,
    )
    return [(r["step_no"], r["kind"]) for r in rows]


def _told(standin: StandIn, referral_id: str) -> int:
    """How many notices about the referral reached a coordinator, supervisor or secretariat."""
    return sum(
        1
        for r in standin.at("/roles/")
        if r.event["data"].get("referral_id") == referral_id  # type: ignore[union-attr]
    )
