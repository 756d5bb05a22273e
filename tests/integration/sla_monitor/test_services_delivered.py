"""The dashboard's "services delivered" over a real PostgreSQL: page, JSON and CSV agree."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from lindung_common.keys import hash_key
from lindung_contracts import (
    Envelope,
    Outcome,
    ReasonCode,
    ReferralAccepted,
    ReferralCompleted,
    ServiceType,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
SECRET = "dashboard-test-secret-0123456789abcdef"
OPERATIONS_KEY = "ops-key-0123456789"
AUTH = {"Authorization": f"Bearer {OPERATIONS_KEY}"}
S = ServiceType


@pytest.fixture
async def dashboard(start_monitor, clock, tmp_path, people_settings):
    clock.at = NOW
    keys = tmp_path / "keys.json"
    entry = {"key_id": "k_operations", "hmac_sha256": hash_key(OPERATIONS_KEY, SECRET.encode()),
             "kind": "operations", "id": "ops-desk"}  # fmt: skip
    keys.write_text(json.dumps({"keys": [entry]}))
    runtime = await start_monitor(api_keys_file=str(keys), key_secret=SECRET, **people_settings)
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
        yield runtime, http


async def _referral(runtime, new_referral, service, *, hours_ago=10):
    """A referral of `service` requested `hours_ago`, accepted an hour later."""
    r = new_referral(NOW - timedelta(hours=hours_ago), timedelta(hours=4))
    requested = r.requested()
    data = requested.data.model_copy(update={"service": service, "provider_id": _provider(service)})
    await runtime.deliver(
        Envelope.wrap(data, event_id=uuid.uuid4(), time=r.requested_at, source="/r")
    )
    await runtime.deliver(_fact(r, ReferralAccepted, r.requested_at + timedelta(hours=1), service))
    return r


def _provider(service):
    return service.value.replace("_", "-") + "-1"


def _fact(r, payload_type, at, service, **extra):
    payload = payload_type(
        referral_id=r.referral_id,
        case_id=r.case_id,
        provider_id=_provider(service),
        service=service,
        at=at,
        **extra,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/r")


async def _complete(runtime, r, service, at, outcome=None, why=None):
    completed = _fact(r, ReferralCompleted, at, service, outcome=outcome, outcome_reason=why)
    await runtime.deliver(completed)
    return completed


async def test_completed_referrals_are_counted_by_service_and_outcome(
    dashboard, new_referral, person_at
):
    runtime, http = dashboard
    two_hours_ago = NOW - timedelta(hours=2)
    shelter_1 = await _referral(runtime, new_referral, S.SAFE_SHELTER)
    shelter_2 = await _referral(runtime, new_referral, S.SAFE_SHELTER)
    legal = await _referral(runtime, new_referral, S.LEGAL_AID)
    health = await _referral(runtime, new_referral, S.HEALTH)
    old = await _referral(runtime, new_referral, S.HEALTH, hours_ago=80)
    open_one = await _referral(runtime, new_referral, S.UNHCR)
    await _complete(runtime, shelter_1, S.SAFE_SHELTER, two_hours_ago, Outcome.DELIVERED)
    partly = await _complete(
        runtime,
        shelter_2,
        S.SAFE_SHELTER,
        two_hours_ago,
        Outcome.PARTLY_DELIVERED,
        ReasonCode.CHILD_MISSING,
    )
    await runtime.deliver(partly)  # redelivered by Kafka: counted once
    await _complete(
        runtime, legal, S.LEGAL_AID, two_hours_ago, Outcome.NOT_DELIVERED, ReasonCode.OTHER
    )
    await _complete(runtime, health, S.HEALTH, two_hours_ago)  # from a provider that said nothing
    # Completed three days ago: outside the last day, whenever it was requested.
    await _complete(runtime, old, S.HEALTH, NOW - timedelta(hours=72), Outcome.DELIVERED)

    summary = (await http.get("/dashboard/api/summary?last=24h", headers=AUTH)).json()

    delivered = summary["services_delivered"]
    assert {k: v for k, v in delivered.items() if k != "by_service"} == {
        "completed": 4,
        "delivered": 1,
        "partly_delivered": 1,
        "not_delivered": 1,
        "unstated": 1,
    }
    by_service = {d["service"]: d for d in delivered["by_service"]}
    assert set(by_service) == {"safe_shelter", "legal_aid", "health"}
    shelter = by_service["safe_shelter"]
    assert (shelter["completed"], shelter["delivered"], shelter["partly_delivered"]) == (2, 1, 1)
    assert by_service["legal_aid"]["not_delivered"] == 1
    assert by_service["health"]["unstated"] == 1

    # The page is for people: an operations person signs in at Keycloak; keys serve machines.
    await person_at(http).sign_in("operations", "/dashboard")
    page = await http.get("/dashboard?last=24h")
    assert page.status_code == 200
    tile = page.text.split('id="services-delivered"', 1)[1].split("</div>", 1)[0]
    assert "<b>1</b> services delivered (1 partly, 1 not, of 4 completed)" in tile
    table = page.text.split('id="services-delivered-by-service"', 1)[1].split("</table>", 1)[0]
    row = table.split('data-service="safe_shelter">', 1)[1].split("</tr>", 1)[0]
    assert row == ("<td>Safe shelter</td><td>1</td><td>1</td><td>0</td><td>0</td><td>2</td>")

    export = await http.get("/dashboard/export.csv?last=24h", headers=AUTH)
    rows = {r["referral_id"]: r for r in csv.DictReader(io.StringIO(export.text))}
    assert (
        rows[str(shelter_2.referral_id)]["service_outcome"],
        rows[str(shelter_2.referral_id)]["service_outcome_reason"],
        rows[str(shelter_2.referral_id)]["completed_at"],
    ) == ("partly_delivered", "child_missing", two_hours_ago.isoformat())
    assert rows[str(health.referral_id)]["service_outcome"] == ""
    assert rows[str(health.referral_id)]["completed_at"] == two_hours_ago.isoformat()
    assert rows[str(open_one.referral_id)]["completed_at"] == ""

    # The reporting table holds codes, once per referral; the database refuses anything else.
    async with runtime.service.db.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM referral_outcomes") == 5
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "UPDATE referral_outcomes SET outcome_reason = 'Aye Aye Mon ran away'"
                " WHERE referral_id = $1",
                shelter_2.referral_id,
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "UPDATE referral_outcomes SET outcome_reason = 'other' WHERE referral_id = $1",
                shelter_1.referral_id,
            )


async def test_with_nothing_completed_the_figure_is_zero_and_the_page_says_so(dashboard, person_at):
    _, http = dashboard

    summary = (await http.get("/dashboard/api/summary?last=24h", headers=AUTH)).json()
    # The page is for people: an operations person signs in at Keycloak; keys serve machines.
    await person_at(http).sign_in("operations", "/dashboard")
    page = await http.get("/dashboard?last=24h")

    assert summary["services_delivered"] == {
        "completed": 0,
        "delivered": 0,
        "partly_delivered": 0,
        "not_delivered": 0,
        "unstated": 0,
        "by_service": [],
    }
    assert "No referral completed in this period." in page.text
