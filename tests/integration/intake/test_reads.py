"""Pull, don't push: a provider reads what its service needs of its referral; an agency
reads its own case; nobody reads what is not theirs; every read is audited."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid

import pytest
from lindung_contracts import ServiceType

pytestmark = pytest.mark.integration


CONSENT = {"categories": ["shelter", "legal_aid"], "given_by": "child"}


async def _case_with_referral(
    client, callers, wired, identification, referral_requested, service, consent=CONSENT
):
    """A case opened over HTTP, and a referral of it for `service` to shelter-kl-1."""
    body = identification(agency_reference=f"READ-{uuid.uuid4().hex[:8]}")
    if consent is not None:
        body["consent"] = consent
    opened = await client.post("/v1/identifications", json=body, headers=callers.agency)
    assert opened.status_code == 202, opened.text
    case_id = uuid.UUID(opened.json()["case_id"])
    envelope = referral_requested(provider_id="shelter-kl-1", case_id=case_id)
    payload = envelope.data.model_copy(update={"service": service})
    envelope = envelope.model_copy(update={"data": payload})
    await wired.runtime.deliver(envelope, consumer="intake")
    return body, case_id, payload.referral_id


async def _audit(wired) -> list[dict]:
    async with wired.runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM read_audit ORDER BY id")
    return [dict(row) for row in rows]


async def test_a_shelter_reads_what_a_shelter_needs_and_nothing_more(
    client, callers, wired, identification, referral_requested
):
    body, case_id, referral_id = await _case_with_referral(
        client, callers, wired, identification, referral_requested, ServiceType.SAFE_SHELTER
    )

    response = await client.get(f"/v1/referrals/{referral_id}", headers=callers.provider)

    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["case_id"], view["service"], view["status"]) == (
        str(case_id),
        "safe_shelter",
        "requested",
    )
    shared = view["shared"]
    assert set(shared["child"]) == {
        "age_years",
        "age_disputed",
        "gender",
        "languages",
        "accompaniment",
    }
    assert set(shared["situation"]) == {
        "immediate_risks",
        "location",
        "state",
        "district",
        "safe_place_tonight",
    }
    assert "personal" not in shared  # none recorded
    assert shared["child"]["age_years"] == body["child"]["age_years"]
    # Not a shelter's business: the indicators, the legal status.
    assert "indicators" not in json.dumps(shared)
    assert "nationality_status" not in json.dumps(shared)
    (read,) = await _audit(wired)
    assert (read["reader_kind"], read["reader_id"], read["resource"], read["shown"]) == (
        "provider",
        "shelter-kl-1",
        "referral",
        True,
    )
    assert read["resource_id"] == referral_id
    assert "child.age_years" in read["fields"]


async def test_without_consent_for_its_category_a_provider_reads_nothing_about_the_child(
    client, callers, wired, identification, referral_requested
):
    _, case_id, referral_id = await _case_with_referral(
        client, callers, wired, identification, referral_requested, ServiceType.HEALTH
    )  # consent covers shelter and legal aid, not health

    response = await client.get(f"/v1/referrals/{referral_id}", headers=callers.provider)

    assert response.status_code == 200
    assert (response.json()["case_id"], response.json()["shared"]) == (str(case_id), {})
    (read,) = await _audit(wired)
    assert (read["shown"], read["fields"]) == (True, [])


async def test_a_best_interest_override_shares_what_the_service_needs(
    client, callers, wired, identification, referral_requested
):
    override = {"best_interest_override": {"officer": "PPKM/KL/77", "reason": "no guardian"}}
    _, _, referral_id = await _case_with_referral(
        client,
        callers,
        wired,
        identification,
        referral_requested,
        ServiceType.HEALTH,
        consent=override,
    )

    response = await client.get(f"/v1/referrals/{referral_id}", headers=callers.provider)

    assert "indicators" in response.json()["shared"]["situation"]


async def test_the_child_protector_reads_everything_recorded_consent_or_not(
    client, callers, wired, identification, referral_requested
):
    _, _, referral_id = await _case_with_referral(
        client,
        callers,
        wired,
        identification,
        referral_requested,
        ServiceType.CHILD_PROTECTOR,
        consent=None,
    )

    response = await client.get(f"/v1/referrals/{referral_id}", headers=callers.provider)

    shared = response.json()["shared"]
    assert "nationality_status" in shared["child"]
    assert {"indicators", "court_date_pending", "interview_scheduled"} <= set(shared["situation"])


async def test_another_provider_gets_404_and_the_attempt_is_audited(
    client, callers, wired, identification, referral_requested
):
    _, _, referral_id = await _case_with_referral(
        client, callers, wired, identification, referral_requested, ServiceType.SAFE_SHELTER
    )

    theirs = await client.get(f"/v1/referrals/{referral_id}", headers=callers.other_provider)
    nobody = await client.get(f"/v1/referrals/{uuid.uuid4()}", headers=callers.other_provider)
    agency = await client.get(f"/v1/referrals/{referral_id}", headers=callers.agency)

    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json()["errors"][0]["reason"].startswith("referral ")
    assert agency.status_code == 403
    refused = [(r["reader_id"], r["shown"], r["fields"]) for r in await _audit(wired)]
    assert refused == [("shelter-kl-2", False, []), ("shelter-kl-2", False, [])]


async def test_an_agency_reads_its_own_case_and_no_other(
    client, callers, wired, identification, referral_requested
):
    body, case_id, referral_id = await _case_with_referral(
        client, callers, wired, identification, referral_requested, ServiceType.SAFE_SHELTER
    )

    own = await client.get(f"/v1/cases/{case_id}", headers=callers.agency)
    other = await client.get(f"/v1/cases/{case_id}", headers=callers.other_agency)
    provider = await client.get(f"/v1/cases/{case_id}", headers=callers.provider)

    assert own.status_code == 200, own.text
    case = own.json()
    assert case["agency_reference"] == body["agency_reference"]
    assert [(r["referral_id"], r["service"], r["status"]) for r in case["referrals"]] == [
        (str(referral_id), "safe_shelter", "requested")
    ]
    assert other.status_code == 404
    assert provider.status_code == 403
    reads = [(r["reader_id"], r["resource"], r["shown"]) for r in await _audit(wired)]
    assert reads == [("pdrm-kl", "case", True), ("jtk-johor", "case", False)]


async def test_operations_read_the_audit_with_the_command(
    client,
    callers,
    wired,
    identification,
    referral_requested,
    stack,
    keys_file,
    key_secret,
    data_keys,
):
    _, _, referral_id = await _case_with_referral(
        client, callers, wired, identification, referral_requested, ServiceType.SAFE_SHELTER
    )
    await client.get(f"/v1/referrals/{referral_id}", headers=callers.provider)
    await client.get(f"/v1/referrals/{referral_id}", headers=callers.other_provider)

    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")} | {
        **stack.service_env("intake"),
        "INTAKE_DATABASE_URL": stack.database_url_for("intake", wired.runtime.service.db.schema),
        "INTAKE_DB_SCHEMA": wired.runtime.service.db.schema,
        "INTAKE_API_KEYS_FILE": str(keys_file),
        "INTAKE_KEY_SECRET": key_secret,
        "INTAKE_DATA_KEYS": data_keys,
    }
    command = [sys.executable, "-m", "lindung_intake", "audit", "--resource", str(referral_id)]
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(line["reader_id"], line["shown"]) for line in lines] == [
        ("shelter-kl-2", False),
        ("shelter-kl-1", True),
    ]


async def test_a_provider_reading_as_its_webhook_arrives_is_not_told_not_found(
    client, callers, wired, identification, referral_requested
):
    opened = await client.post("/v1/identifications", json=identification(), headers=callers.agency)
    envelope = referral_requested(
        provider_id="shelter-kl-1", case_id=uuid.UUID(opened.json()["case_id"])
    )
    # The read comes before intake has heard of the referral, which arrives meanwhile.
    read = asyncio.create_task(
        client.get(f"/v1/referrals/{envelope.data.referral_id}", headers=callers.provider)
    )
    await asyncio.sleep(0.1)
    await wired.runtime.deliver(envelope, consumer="intake")

    assert (await read).status_code == 200


async def test_operations_read_the_audit_over_http_and_nobody_else_does(
    client, callers, wired, identification, referral_requested
):
    _, case_id, referral_id = await _case_with_referral(
        client, callers, wired, identification, referral_requested, ServiceType.SAFE_SHELTER
    )
    await client.get(f"/v1/referrals/{referral_id}", headers=callers.provider)
    await client.get(f"/v1/cases/{case_id}", headers=callers.other_agency)

    audit = await client.get("/v1/audit", headers=callers.operations)
    by_reader = await client.get(
        "/v1/audit", params={"reader": "shelter-kl-1"}, headers=callers.operations
    )
    refused = [
        await client.get("/v1/audit", headers=headers)
        for headers in (callers.agency, callers.provider, callers.coordinator)
    ]
    operations_read_a_case = await client.get(f"/v1/cases/{case_id}", headers=callers.operations)

    assert audit.status_code == 200, audit.text
    reads = audit.json()["reads"]
    assert [(r["reader_id"], r["resource"], r["shown"]) for r in reads] == [
        ("jtk-johor", "case", False),
        ("shelter-kl-1", "referral", True),
    ]
    assert "child.age_years" in reads[1]["fields"]
    assert [r["reader_id"] for r in by_reader.json()["reads"]] == ["shelter-kl-1"]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert all(set(r.json()) == {"errors"} for r in refused)
    assert operations_read_a_case.status_code == 403
