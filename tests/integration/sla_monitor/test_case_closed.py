"""A closed case: its cancelled referrals' ladders and its package deadline fire nothing."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lindung_common.keys import hash_key
from lindung_contracts import (
    CaseClosed,
    CaseOutcome,
    DeadlineMissed,
    DeadlineWarning,
    Envelope,
    PackageDeadlineMissed,
    ReasonCode,
    ReferralAccepted,
    ReferralCancelled,
)

pytestmark = pytest.mark.integration


def _closed(case_id, at, cancelled, continuing):
    payload = CaseClosed(
        request_id=uuid.uuid4(),
        case_id=case_id,
        coordinator_id="coordinator-kl",
        outcome=CaseOutcome.TRANSFERRED,
        cancelled=cancelled,
        continuing=continuing,
        closed_at=at,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/router")


async def test_after_closing_nothing_more_fires_for_the_case(
    monitor, fire_due, new_referral, outbox
):
    shelter = new_referral()
    legal_aid = type(shelter)(uuid.uuid4(), shelter.case_id, shelter.requested_at, shelter.due_at)
    package_due = shelter.requested_at + timedelta(hours=72)
    for referral in (shelter, legal_aid):
        await monitor.deliver(referral.requested(package_due_at=package_due))
    await monitor.deliver(shelter.fact(ReferralAccepted, shelter.at_percent(20)))
    # The provider's warning at 50 % fires while the case is open.
    warned = [e.data for e in (await fire_due(legal_aid.at_percent(50))).fired]
    assert [type(e) for e in warned] == [DeadlineWarning]

    closed_at = legal_aid.at_percent(60)
    await monitor.deliver(
        legal_aid.fact(
            ReferralCancelled,
            closed_at,
            reason="the case was closed by case coordinator coordinator-kl (transferred)",
            reason_code=ReasonCode.CASE_CLOSED,
            coordinator_id="coordinator-kl",
        )
    )
    closing = _closed(shelter.case_id, closed_at, (legal_aid.referral_id,), (shelter.referral_id,))
    await monitor.deliver(closing)
    await monitor.deliver(closing)  # redelivered: changes nothing

    # Past every step of the ladder (200 %) and the package deadline.
    for hours in (3, 6, 72, 100):
        report = await fire_due(shelter.requested_at + timedelta(hours=hours))
        assert report.fired == []
    fired = [
        e.data
        for e in await outbox()
        if isinstance(e.data, DeadlineWarning | DeadlineMissed | PackageDeadlineMissed)
    ]
    assert fired == warned
    async with monitor.service.db.pool.acquire() as conn:
        package = await conn.fetchrow(
            "SELECT state, settled_at FROM case_packages WHERE case_id = $1", shelter.case_id
        )
        kept = await conn.fetch("SELECT * FROM case_closures")
    assert (package["state"], package["settled_at"]) == ("closed", closed_at)
    assert [(r["outcome"], r["cancelled"], r["continuing"]) for r in kept] == [
        ("transferred", 1, 1)
    ]


NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
SECRET = "dashboard-test-secret-0123456789abcdef"
OPERATIONS_KEY = "ops-key-0123456789"
AUTH = {"Authorization": f"Bearer {OPERATIONS_KEY}"}


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


async def test_the_dashboard_counts_the_cases_closed_by_outcome(dashboard, new_referral, person_at):
    runtime, http = dashboard
    referrals = [new_referral(NOW - timedelta(hours=10)) for _ in range(4)]
    for r in referrals:
        await runtime.deliver(r.requested())
    outcomes = (CaseOutcome.TRANSFERRED, CaseOutcome.TRANSFERRED, CaseOutcome.MERGED)
    for r, outcome in zip(referrals, outcomes, strict=False):
        closing = _closed(r.case_id, NOW - timedelta(hours=2), (r.referral_id,), ())
        closing = Envelope.wrap(
            closing.data.model_copy(update={"outcome": outcome}),
            event_id=uuid.uuid4(),
            time=NOW,
            source="/lindung/router",
        )
        await runtime.deliver(closing)
        await runtime.deliver(closing)  # redelivered: counted once
    # Closed four days ago: outside the last day.
    await runtime.deliver(
        _closed(referrals[3].case_id, NOW - timedelta(days=4), (referrals[3].referral_id,), ())
    )

    summary = (await http.get("/dashboard/api/summary?last=24h", headers=AUTH)).json()

    closed = summary["cases_closed"]
    assert closed["total"] == 3
    counts = {c["outcome"]: c["cases"] for c in closed["by_outcome"]}
    assert counts == {o.value: 0 for o in CaseOutcome} | {"transferred": 2, "merged": 1}
    # The page is for people: an operations person signs in at Keycloak; keys serve machines.
    await person_at(http).sign_in("operations", "/dashboard")
    page = await http.get("/dashboard?last=24h")
    tile = page.text.split('id="cases-closed"', 1)[1].split("</div>", 1)[0]
    assert "<b>3</b> cases closed" in tile
    table = page.text.split('id="cases-closed-by-outcome"', 1)[1].split("</table>", 1)[0]
    row = table.split('data-outcome="transferred">', 1)[1].split("</tr>", 1)[0]
    assert row == "<td>child transferred to another authority&#39;s care</td><td>2</td>"
    export = await http.get("/dashboard/export.csv?last=24h", headers=AUTH)
    rows = {r["referral_id"]: r for r in csv.DictReader(io.StringIO(export.text))}
    first = rows[str(referrals[0].referral_id)]
    assert (first["case_outcome"], first["case_closed_at"]) == (
        "transferred",
        (NOW - timedelta(hours=2)).isoformat(),
    )
    assert rows[str(referrals[3].referral_id)]["case_outcome"] == "transferred"


async def test_with_no_case_closed_the_page_says_so(dashboard, person_at):
    _, http = dashboard

    summary = (await http.get("/dashboard/api/summary?last=24h", headers=AUTH)).json()
    # The page is for people: an operations person signs in at Keycloak; keys serve machines.
    await person_at(http).sign_in("operations", "/dashboard")
    page = await http.get("/dashboard?last=24h")

    assert summary["cases_closed"]["total"] == 0
    assert "No case closed in this period." in page.text
