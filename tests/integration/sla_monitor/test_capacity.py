"""The dashboard's "capacity now" over a real PostgreSQL: latest figures by state and service."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lindung_common.keys import hash_key
from lindung_contracts import (
    CapacityCause,
    CapacityChanged,
    CapacityUnit,
    Envelope,
    MalaysianState,
    ServiceType,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
SECRET = "dashboard-test-secret-0123456789abcdef"
OPERATIONS_KEY = "ops-key-0123456789"
AUTH = {"Authorization": f"Bearer {OPERATIONS_KEY}"}
S = ServiceType
SABAH, LABUAN, SEL = MalaysianState.SABAH, MalaysianState.LABUAN, MalaysianState.SELANGOR


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


def changed(provider_id, available, *, ago, states, service=S.SAFE_SHELTER, maximum=None,
            cause=CapacityCause.REPORTED):  # fmt: skip
    at = NOW - ago
    payload = CapacityChanged(
        provider_id=provider_id,
        service=service,
        unit=CapacityUnit.BEDS,
        available=available,
        maximum=maximum,
        at=at,
        cause=cause,
        fresh_until=at + timedelta(hours=12),
        states=states,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/router")


async def test_capacity_is_shown_by_state_and_service_from_the_latest_figures(dashboard, person_at):
    runtime, http = dashboard
    await runtime.deliver(changed("shelter-kk", 3, ago=timedelta(hours=2), states=(SABAH,)))
    # Took a place since: the same figure's time, one fewer.
    await runtime.deliver(
        changed("shelter-kk", 2, ago=timedelta(hours=2), states=(SABAH,),
                cause=CapacityCause.ACCEPTED_REFERRAL)
    )  # fmt: skip
    # Serves Sabah and Labuan; full since a decline "at capacity".
    await runtime.deliver(
        changed("shelter-lbn", 0, ago=timedelta(hours=1), states=(SABAH, LABUAN),
                cause=CapacityCause.DECLINED_AT_CAPACITY)
    )  # fmt: skip
    # Said 5 free, but 13 hours ago: the router no longer counts it.
    await runtime.deliver(changed("shelter-tawau", 5, ago=timedelta(hours=13), states=(SABAH,)))
    # A late copy of an older figure changes nothing.
    await runtime.deliver(changed("shelter-kk", 9, ago=timedelta(hours=5), states=(SABAH,)))
    # More reported than the maximum: no more than the maximum is free.
    await runtime.deliver(
        changed("clinic-1", 7, ago=timedelta(hours=1), states=("*",), service=S.HEALTH, maximum=4)
    )

    summary = (await http.get("/dashboard/api/summary?last=24h", headers=AUTH)).json()

    rows = {(c["state"], c["service"]): c for c in summary["capacity"]}
    assert rows[("sabah", "safe_shelter")] == {
        "state": "sabah",
        "service": "safe_shelter",
        "providers_with_places": 1,
        "providers_full": 1,
        "providers_stale": 1,
        "places_free": 2,
    }
    assert (rows[("labuan", "safe_shelter")]["providers_full"], rows[("labuan", "safe_shelter")][
        "places_free"]) == (1, 0)  # fmt: skip
    assert rows[("*", "health")]["places_free"] == 4
    assert set(rows) == {("sabah", "safe_shelter"), ("labuan", "safe_shelter"), ("*", "health")}

    await person_at(http).sign_in("operations", "/dashboard")
    page = await http.get("/dashboard?last=24h")
    assert page.status_code == 200
    table = page.text.split('id="capacity"', 1)[1].split("</table>", 1)[0]
    row = table.split('data-state="sabah" data-service="safe_shelter">', 1)[1].split("</tr>")[0]
    assert row == "<td>Sabah</td><td>Safe shelter</td><td>1</td><td>1</td><td>1</td><td>2</td>"
    assert "<td>Whole country</td><td>Health care</td>" in table
    # Nowhere left in Labuan: the row stands out.
    assert 'data-state="labuan" data-service="safe_shelter" class="late">' in table

    http.headers["Accept-Language"] = "ms"
    await http.post("/dashboard/sign-out", data={})  # a new session takes the language
    http.cookies.clear()
    await person_at(http).sign_in("operations", "/dashboard")
    malay = await http.get("/dashboard?last=24h")
    assert '<html lang="ms">' in malay.text
    assert "Kapasiti sekarang" in malay.text
    assert "<td>Seluruh negara</td><td>Penjagaan kesihatan</td>" in malay.text


async def test_with_no_figure_the_page_says_so(dashboard, person_at):
    _, http = dashboard

    summary = (await http.get("/dashboard/api/summary?last=24h", headers=AUTH)).json()
    await person_at(http).sign_in("operations", "/dashboard")
    page = await http.get("/dashboard?last=24h")

    assert summary["capacity"] == []
    assert "No provider has given a figure yet." in page.text
