"""The operations dashboard over a real PostgreSQL: figures, order, access, errors, export.

People sign in at the real Keycloak (`test_dashboard_sign_in` tries the sign-in itself).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import asyncpg
import httpx
import pytest
from lindung_common.keys import hash_key
from lindung_contracts import (
    Channel,
    Envelope,
    MalaysianState,
    NotificationFailed,
    ReferralAccepted,
    ReferralDeclined,
    ReferralPaused,
    ReferralRerouted,
    ServiceType,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
SECRET = "dashboard-test-secret-0123456789abcdef"
OPERATIONS_KEY = "ops-key-0123456789"
AGENCY_KEY = "agency-key-0123456789"


def _keys_file(tmp_path):
    path = tmp_path / "keys.json"
    entries = [
        {"key_id": "k_operations", "hmac_sha256": hash_key(OPERATIONS_KEY, SECRET.encode()),
         "kind": "operations", "id": "ops-desk"},
        {"key_id": "k_pdrm-kl", "hmac_sha256": hash_key(AGENCY_KEY, SECRET.encode()),
         "kind": "agency", "id": "pdrm-kl"},
    ]  # fmt: skip
    path.write_text(json.dumps({"keys": entries}))
    return path


@pytest.fixture
async def dashboard(start_monitor, clock, tmp_path, people_settings):
    clock.at = NOW
    runtime = await start_monitor(
        api_keys_file=str(_keys_file(tmp_path)), key_secret=SECRET, **people_settings
    )
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
        yield runtime, http


@pytest.fixture
def operations(dashboard, person_at):
    """The demo's operations person, at the dashboard's browser."""
    return person_at(dashboard[1])


def _requested(referral, *, service, provider, agency, state, attempt=1):
    envelope = referral.requested()
    data = envelope.data.model_copy(
        update={
            "service": service,
            "provider_id": provider,
            "agency_id": agency,
            "state": state,
            "attempt": attempt,
        }
    )
    return Envelope.wrap(data, event_id=uuid.uuid4(), time=referral.requested_at, source="/r")


def _fact(referral, payload_type, at, *, service, provider, **extra):
    payload = payload_type(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=provider,
        service=service,
        at=at,
        **extra,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/r")


async def _seed(runtime, new_referral, fire_due):
    """Six referrals of the last day with every outcome, and one failed delivery."""
    kl, sel = MalaysianState.KUALA_LUMPUR, MalaysianState.SELANGOR
    shelter, legal, health = ServiceType.SAFE_SHELTER, ServiceType.LEGAL_AID, ServiceType.HEALTH
    made = {}

    async def referral(name, started_hours_ago, *, service, provider, agency, state, **kw):
        r = new_referral(NOW - timedelta(hours=started_hours_ago), timedelta(hours=4))
        await runtime.deliver(_requested(r, service=service, provider=provider, agency=agency,
                                         state=state, **kw))  # fmt: skip
        made[name] = (r, service, provider)
        return r

    on_time = await referral("on_time", 10, service=shelter, provider="shelter-kl-1",
                             agency="pdrm-kl", state=kl)  # fmt: skip
    late = await referral("late", 12, service=legal, provider="legal-sel-1",
                          agency="jkm-selangor", state=sel)  # fmt: skip
    await referral("open_late", 5, service=health, provider="clinic-kl-1",
                   agency="pdrm-kl", state=kl)  # fmt: skip
    await referral("open_ahead", 2, service=shelter, provider="shelter-kl-2",
                   agency="pdrm-kl", state=kl)  # fmt: skip
    declined = await referral("declined", 3, service=legal, provider="legal-sel-1",
                              agency="jkm-selangor", state=sel)  # fmt: skip
    rerouted = await referral("rerouted", 20, service=health, provider="clinic-kl-2",
                              agency="pdrm-kl", state=kl)  # fmt: skip
    for r, payload_type, hours, extra in (
        (on_time, ReferralAccepted, 1, {}),
        (late, ReferralAccepted, 5, {}),
        (declined, ReferralDeclined, 1, {"reason": "at_capacity"}),
        (rerouted, ReferralRerouted, 6,
         {"reason": "silence", "new_referral_id": uuid.uuid4(), "new_provider_id": "clinic-kl-1"}),
    ):  # fmt: skip
        _, service, provider = next(m for m in made.values() if m[0] is r)
        at = r.requested_at + timedelta(hours=hours)
        await runtime.deliver(_fact(r, payload_type, at, service=service, provider=provider,
                                    **extra))  # fmt: skip
    failed = NotificationFailed(
        notification_id=uuid.uuid4(),
        case_id=on_time.case_id,
        referral_id=on_time.referral_id,
        cause_event_id=uuid.uuid4(),
        cause_type="org.lindung.deadline.warning.v1",
        recipient="shelter-kl-1",
        channel=Channel.WEBHOOK,
        attempts=8,
        failed_at=NOW - timedelta(hours=9),
        error="HTTP 503",
    )
    await runtime.deliver(Envelope.wrap(failed, event_id=uuid.uuid4(), time=NOW, source="/n"))
    await fire_due(NOW - timedelta(seconds=1))  # open_late's level 1 escalation
    return {name: r for name, (r, _, _) in made.items()}


def _auth(key=OPERATIONS_KEY):
    return {"Authorization": f"Bearer {key}"}


async def test_the_summary_counts_every_outcome_and_times_acceptance(
    dashboard, new_referral, fire_due
):
    runtime, http = dashboard
    await _seed(runtime, new_referral, fire_due)

    response = await http.get("/dashboard/api/summary?last=24h", headers=_auth())

    assert response.status_code == 200, response.text
    s = response.json()
    assert s["open"] == {"total": 2, "late": 1}
    totals = s["totals"]
    assert (totals["referrals"], totals["on_time"], totals["late"]) == (6, 1, 3)
    assert (totals["waiting"], totals["ended"], totals["rerouted"]) == (1, 1, 1)
    # Late: accepted after 5 h of 4, still open an hour past, re-routed after it had passed.
    assert totals["on_time_rate"] == pytest.approx(1 / 4)
    assert totals["median_accept_seconds"] == pytest.approx(3 * 3600)  # of 1 h and 5 h
    assert totals["p90_accept_seconds"] == pytest.approx(3600 + 0.9 * 4 * 3600)
    by_state = {g["key"]: g for g in s["by"]["state"]}
    assert (by_state["selangor"]["on_time"], by_state["selangor"]["late"]) == (0, 1)
    assert by_state["selangor"]["ended"] == 1
    by_provider = {g["key"]: g for g in s["by"]["provider"]}
    assert by_provider["shelter-kl-1"]["on_time_rate"] == 1.0
    by_agency = {g["key"]: g for g in s["by"]["agency"]}
    assert by_agency["jkm-selangor"]["referrals"] == 2
    assert s["escalations_by_level"] == {"1": 1}
    assert s["failed_deliveries"] == [
        {"channel": "webhook", "cause_type": "org.lindung.deadline.warning.v1", "count": 1}
    ]
    assert sum(t["on_time"] + t["late"] + t["waiting"] for t in s["trend"]) == 5
    assert s["period"]["bucket"] == "hour"


async def test_open_referrals_come_late_first_with_the_level_reached(
    dashboard, new_referral, fire_due
):
    runtime, http = dashboard
    made = await _seed(runtime, new_referral, fire_due)

    body = (await http.get("/dashboard/api/open", headers=_auth())).json()

    assert (body["total"], body["late"]) == (2, 1)
    first, second = body["referrals"]
    assert first["referral_id"] == str(made["open_late"].referral_id)
    assert (first["late"], first["escalation_level"], first["seconds_left"]) == (True, 1, -3600)
    assert second["referral_id"] == str(made["open_ahead"].referral_id)
    assert (second["late"], second["escalation_level"]) == (False, 0)
    assert (second["service"], second["agency_id"], second["state"]) == (
        "safe_shelter",
        "pdrm-kl",
        "kuala_lumpur",
    )


async def test_the_page_shows_the_late_referral_on_top_and_draws_its_charts(
    dashboard, operations, new_referral, fire_due
):
    runtime, http = dashboard
    made = await _seed(runtime, new_referral, fire_due)

    await operations.sign_in("operations", "/dashboard")
    page = await http.get("/dashboard?last=24h")

    assert page.status_code == 200
    html = page.text
    rows = html.split("<tbody>", 1)[1]
    assert rows.index(str(made["open_late"].referral_id)) < rows.index(
        str(made["open_ahead"].referral_id)
    )
    assert html.count('<svg class="chart"') == 4
    assert 'class="bar good"' in html
    assert 'class="bar bad"' in html
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
    assert page.headers["cache-control"] == "no-store"


async def test_only_an_operations_key_gets_in(dashboard):
    _, http = dashboard

    nobody = await http.get("/dashboard/api/summary")
    agency = await http.get("/dashboard/api/open", headers=_auth(AGENCY_KEY))
    guessed = await http.get("/dashboard/export.csv", headers=_auth("guessed"))
    page = await http.get("/dashboard")
    # A key is for machines: the page does not take one.
    keyed_page = await http.get("/dashboard", headers=_auth())

    assert nobody.status_code == 401
    assert nobody.headers["www-authenticate"] == "Bearer"
    assert nobody.json() == {
        "errors": [{"field": "authorization", "reason": "an operations key is required (Bearer)"}]
    }
    assert agency.status_code == 403
    assert agency.json()["errors"][0]["field"] == "authorization"
    assert guessed.status_code == 401
    assert (page.status_code, page.headers["location"]) == (
        303,
        "/dashboard/sign-in?next=%2Fdashboard",
    )
    assert keyed_page.status_code == 303
    assert keyed_page.headers["location"].startswith("/dashboard/sign-in?")


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        ("last=1y", "last", "must be one of 24h, 7d, 30d, 90d"),
        ("since=yesterday", "since", "not a date (YYYY-MM-DD) or a time with an offset"),
        ("since=2026-03-02T08:00", "since", "a time needs its offset"),
        ("since=2026-03-02&until=2026-03-01", "until", "must be after since"),
        ("since=2024-01-01&until=2026-01-01", "since", "a period is at most 366 days"),
        ("until=2026-03-01", "since", "required with until"),
        ("last=7d&since=2026-03-01", "last", "give either last, or since and until"),
    ],
)
async def test_a_bad_period_is_refused_naming_the_parameter(dashboard, query, field, reason):
    _, http = dashboard

    response = await http.get(f"/dashboard/api/summary?{query}", headers=_auth())

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert error["reason"].startswith(reason)


async def test_a_bad_limit_is_refused(dashboard):
    _, http = dashboard

    response = await http.get("/dashboard/api/open?limit=5000", headers=_auth())

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "limit"


async def test_the_csv_export_has_a_row_per_referral_of_the_period(
    dashboard, new_referral, fire_due
):
    runtime, http = dashboard
    made = await _seed(runtime, new_referral, fire_due)

    response = await http.get(
        "/dashboard/export.csv?since=2026-03-01&until=2026-03-02", headers=_auth()
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    outcomes = {row["referral_id"]: row["outcome"] for row in rows}
    assert outcomes == {
        str(made["on_time"].referral_id): "on_time",
        str(made["late"].referral_id): "late",
        str(made["open_late"].referral_id): "late",
        str(made["open_ahead"].referral_id): "waiting",
        str(made["declined"].referral_id): "ended",
        str(made["rerouted"].referral_id): "late",
    }
    accepted = next(r for r in rows if r["referral_id"] == str(made["late"].referral_id))
    assert (accepted["minutes_to_accept"], accepted["state"]) == ("300.0", "selangor")


async def test_without_a_keys_file_the_dashboard_says_it_is_off(start_monitor):
    runtime = await start_monitor()
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
        response = await http.get("/dashboard/api/summary", headers=_auth())

    assert response.status_code == 503
    assert "SLA_MONITOR_API_KEYS_FILE" in response.json()["errors"][0]["reason"]


@pytest.mark.parametrize(
    ("back", "to"),
    [
        ("/dashboard?last=30d", "/dashboard?last=30d"),
        ("https://elsewhere.example/", "/dashboard"),
        ("//elsewhere.example/dashboard", "/dashboard"),
        ("/dashboard/..//elsewhere.example", "/dashboard"),
        ("/metrics", "/dashboard"),
    ],
)
async def test_signing_in_returns_to_the_dashboard_page_asked_for_and_nowhere_else(
    dashboard, back, to, schema
):
    runtime, http = dashboard

    begun = await http.get(f"/dashboard/sign-in?{urlencode({'next': back})}")

    assert begun.status_code == 303
    async with runtime.service.db.pool.acquire() as conn:
        kept = await conn.fetchval(f"SELECT return_to FROM {schema}.dashboard_sign_ins")
    assert kept == to


async def test_a_paused_clock_counts_its_time_left_from_the_pause(
    dashboard, new_referral, fire_due
):
    runtime, http = dashboard
    made = await _seed(runtime, new_referral, fire_due)
    paused = new_referral(NOW - timedelta(hours=3), timedelta(hours=4))  # due in an hour
    await runtime.deliver(
        _requested(paused, service=ServiceType.LEGAL_AID, provider="legal-sel-1",
                   agency="jkm-selangor", state=MalaysianState.SELANGOR)
    )  # fmt: skip
    await runtime.deliver(
        _fact(paused, ReferralPaused, NOW - timedelta(minutes=30), service=ServiceType.LEGAL_AID,
              provider="legal-sel-1", coordinator_id="coordinator-sel", reason="child_in_hospital")
    )  # fmt: skip

    body = (await http.get("/dashboard/api/open", headers=_auth())).json()

    order = [r["referral_id"] for r in body["referrals"]]
    assert order == [
        str(made["open_late"].referral_id),  # an hour late
        str(paused.referral_id),  # 1 h 30 min left when its clock stopped
        str(made["open_ahead"].referral_id),  # 2 h left
    ]
    assert body["referrals"][1]["paused"] is True
    assert body["referrals"][1]["seconds_left"] == 5400


async def test_a_database_that_does_not_answer_gets_503_then_the_figures_come_back(
    start_monitor, clock, tmp_path, stack, schema, people_settings, person_at
):
    clock.at = NOW
    runtime = await start_monitor(
        api_keys_file=str(_keys_file(tmp_path)),
        key_secret=SECRET,
        db_command_timeout_seconds=1,
        **people_settings,
    )
    transport = httpx.ASGITransport(app=runtime.web())
    paths = ("/dashboard/api/summary", "/dashboard/api/open", "/dashboard/export.csv")
    holder = await asyncpg.connect(stack.database_url)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
            await person_at(http).sign_in("operations", "/dashboard")
            # Another session holds the deadlines table: every read of it waits, then
            # gives up at the command timeout, as with a database that hangs.
            lock = holder.transaction()
            await lock.start()
            await holder.execute(f"LOCK TABLE {schema}.deadlines IN ACCESS EXCLUSIVE MODE")
            hung = [await http.get(path, headers=_auth()) for path in paths]
            page = await http.get("/dashboard")
            await lock.rollback()
            back = [await http.get(path, headers=_auth()) for path in paths]
    finally:
        await holder.close()

    for response in hung:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.json() == {
            "errors": [{"field": "service", "reason": "temporarily unavailable; try again shortly"}]
        }
    assert page.status_code == 503
    assert "Not available now. Try again in a few seconds." in page.text
    assert [response.status_code for response in back] == [200, 200, 200]
