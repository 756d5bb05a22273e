"""Personal details: sealed before PostgreSQL, read only as service and consent allow,
never on Kafka; a document number links a second agency's identification to the case."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import uuid

import pytest
from lindung_common import Record
from lindung_contracts import (
    AGENCY_IDENTIFICATIONS,
    CaseOpened,
    Envelope,
    IdentificationFacts,
    IdentificationRejected,
    IdentificationReported,
    ServiceType,
    encode,
)
from lindung_intake.adapters.sealing import DataKeys, Sealed, SealError
from lindung_intake.use_cases import DOOR

pytestmark = pytest.mark.integration

NAME = "Aye Aye Mon"
PHONE = "+60 3-2266 2222"
WHEREABOUTS = "Balai Polis Dang Wangi, Jalan Stadium, bilik 4"
NARRATIVE = "Found at a night market stall at 02:00, working for an adult not family."
CONSENT = {"categories": ["shelter", "legal_aid"], "given_by": "child"}


def _personal(number: str = "MMR-17C01234", **changes: object) -> dict:
    return {
        "name": NAME,
        "date_of_birth": "2011-04-09",
        "documents": [{"kind": "unhcr_card", "number": number}],
        "whereabouts": WHEREABOUTS,
        "officer": {"name": "Insp. Aminah", "phone": PHONE, "unit": "D11 Dang Wangi"},
        "narrative": NARRATIVE,
    } | changes


async def _identify(client, headers, identification, **changes):
    body = identification(consent=CONSENT, **changes)
    response = await client.post("/v1/identifications", json=body, headers=headers)
    assert response.status_code in (200, 202), response.text
    return response.json()


async def _refer(wired, referral_requested, case_id, service):
    envelope = referral_requested(provider_id="shelter-kl-1", case_id=uuid.UUID(case_id))
    payload = envelope.data.model_copy(update={"service": service})
    await wired.runtime.deliver(envelope.model_copy(update={"data": payload}), consumer="intake")
    return payload.referral_id


async def _rows(wired, sql, *args):
    async with wired.runtime.service.db.pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch(sql, *args)]


async def test_personal_details_are_stored_only_sealed_and_never_queued(
    client, callers, wired, identification, outbox
):
    opened = await _identify(client, callers.agency, identification, personal=_personal())

    (row,) = await _rows(
        wired, "SELECT * FROM cases WHERE case_id = $1", uuid.UUID(opened["case_id"])
    )
    assert row["personal_key_id"] == "test-1"
    everything = json.dumps({k: str(v) for k, v in row.items()}) + bytes(row["personal"]).hex()
    for secret in (NAME, PHONE, WHEREABOUTS, NARRATIVE, "MMR-17C01234", "MMR17C01234"):
        assert secret not in everything
        assert secret.encode().hex() not in everything
    assert "personal" not in json.loads(row["identification"])
    (queued,) = await outbox()
    assert isinstance(queued["event"].data, CaseOpened)
    assert NAME.encode() not in bytes(queued["value"])
    assert PHONE.encode() not in bytes(queued["value"])


async def test_a_shelter_reads_where_the_child_is_and_who_to_call_and_no_more(
    client, callers, wired, identification, referral_requested
):
    opened = await _identify(client, callers.agency, identification, personal=_personal())
    referral_id = await _refer(
        wired, referral_requested, opened["case_id"], ServiceType.SAFE_SHELTER
    )

    response = await client.get(f"/v1/referrals/{referral_id}", headers=callers.provider)

    assert response.status_code == 200, response.text
    personal = response.json()["shared"]["personal"]
    assert personal == {
        "whereabouts": WHEREABOUTS,
        "officer": {"name": "Insp. Aminah", "phone": PHONE, "unit": "D11 Dang Wangi"},
    }
    (read,) = await _rows(wired, "SELECT fields FROM read_audit")
    assert {"personal.whereabouts", "personal.officer"} <= set(read["fields"])
    assert "personal.name" not in read["fields"]


async def test_legal_aid_reads_the_documents_and_a_provider_without_consent_reads_nothing(
    client, callers, wired, identification, referral_requested
):
    opened = await _identify(client, callers.agency, identification, personal=_personal())
    legal = await _refer(wired, referral_requested, opened["case_id"], ServiceType.LEGAL_AID)
    health = await _refer(wired, referral_requested, opened["case_id"], ServiceType.HEALTH)

    legal_view = (await client.get(f"/v1/referrals/{legal}", headers=callers.provider)).json()
    health_view = (await client.get(f"/v1/referrals/{health}", headers=callers.provider)).json()

    assert legal_view["shared"]["personal"]["name"] == NAME
    assert legal_view["shared"]["personal"]["documents"][0]["number"] == "MMR-17C01234"
    assert "whereabouts" not in legal_view["shared"]["personal"]
    assert health_view["shared"] == {}  # consent covers shelter and legal aid only


async def test_personal_details_on_the_agency_topic_are_refused_without_echoing_them(
    wired, identification, outbox
):
    body = identification()
    facts = IdentificationFacts.model_validate(body)
    envelope = Envelope.wrap(
        IdentificationReported(
            agency_id="pdrm-kl", agency_reference=facts.agency_reference, identification=facts
        ),
        event_id=uuid.uuid4(),
        time=facts.identified_at,
        source="/agencies/pdrm-kl",
    )
    document = json.loads(encode(envelope).value)
    document["data"]["identification"]["personal"] = _personal()
    record = Record(
        topic=AGENCY_IDENTIFICATIONS.name,
        partition=0,
        offset=7,
        key=b"pdrm-kl",
        value=json.dumps(document).encode(),
        headers=(("content-type", b"application/cloudevents+json"),),
    )

    await wired.runtime.deliver_records(record, consumer=DOOR)

    (queued,) = await outbox()
    rejection = queued["event"].data
    assert isinstance(rejection, IdentificationRejected)
    assert rejection.agency_id == "pdrm-kl"
    assert any("personal details go only to POST" in e.reason for e in rejection.errors)
    for secret in (NAME, PHONE, WHEREABOUTS, "MMR-17C01234"):
        assert secret.encode() not in bytes(queued["value"])
    assert await _rows(wired, "SELECT case_id FROM cases") == []


async def test_the_same_document_from_a_second_agency_joins_the_first_case(
    client, callers, wired, identification, outbox
):
    first = await _identify(client, callers.agency, identification, personal=_personal())
    # Another agency, another reference, the number written differently.
    second = await _identify(
        client,
        callers.other_agency,
        identification,
        personal=_personal(number="mmr 17c01234", name="A. A. Mon"),
        situation={"location": "immigration_detention"},
    )

    assert second == {"case_id": first["case_id"], "created": True, "linked": True}
    opened = [q["event"].data for q in await outbox()]
    assert [type(e) for e in opened] == [CaseOpened]  # one set of referrals, not two
    rows = await _rows(wired, "SELECT agency_id, linked_to FROM cases ORDER BY received_at")
    assert [r["agency_id"] for r in rows] == ["pdrm-kl", "jtk-johor"]
    assert rows[1]["linked_to"] == uuid.UUID(first["case_id"])
    # Both agencies read the one case; each sees who reported it.
    for headers in (callers.agency, callers.other_agency):
        case = await client.get(f"/v1/cases/{first['case_id']}", headers=headers)
        assert case.status_code == 200, case.text
        assert case.json()["reported_by"] == ["pdrm-kl", "jtk-johor"]


async def test_the_same_name_and_birth_date_only_flags_the_two_cases(
    client, callers, wired, identification, outbox
):
    first = await _identify(client, callers.agency, identification, personal=_personal())
    second = await _identify(
        client,
        callers.other_agency,
        identification,
        personal=_personal(number="OTHER-99", name="aye  AYE mon"),
    )

    assert second["linked"] is False
    assert second["case_id"] != first["case_id"]
    assert len(await outbox()) == 2  # two cases, two sets of referrals: alike is not the same
    coordinator = await client.get(f"/v1/cases/{second['case_id']}", headers=callers.coordinator)
    assert coordinator.status_code == 200, coordinator.text
    assert coordinator.json()["possible_duplicates"] == [first["case_id"]]
    theirs = await client.get(f"/v1/cases/{first['case_id']}", headers=callers.other_agency)
    assert theirs.status_code == 404  # flagged, not shared


async def test_two_agencies_reporting_one_document_at_once_open_one_case(
    client, callers, wired, identification, outbox
):
    number = f"P{uuid.uuid4().hex[:8]}"
    answers = await asyncio.gather(
        *(
            _identify(client, headers, identification, personal=_personal(number=number))
            for headers in (callers.agency, callers.other_agency)
        )
    )

    assert answers[0]["case_id"] == answers[1]["case_id"]
    assert sorted(a["linked"] for a in answers) == [False, True]
    assert len(await outbox()) == 1


async def test_rotating_the_data_key_re_seals_every_case_and_they_still_read(
    client, callers, wired, identification, stack, keys_file, key_secret, data_keys
):
    opened = await _identify(client, callers.agency, identification, personal=_personal())
    new_key = "test-2:" + base64.b64encode(os.urandom(32)).decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")} | {
        **stack.service_env("intake"),
        "INTAKE_DATABASE_URL": stack.database_url_for("intake", wired.runtime.service.db.schema),
        "INTAKE_DB_SCHEMA": wired.runtime.service.db.schema,
        "INTAKE_API_KEYS_FILE": str(keys_file),
        "INTAKE_KEY_SECRET": key_secret,
        "INTAKE_DATA_KEYS": f"{new_key},{data_keys}",
    }

    def command(*args: str) -> list[dict]:
        done = subprocess.run(
            [sys.executable, "-m", "lindung_intake", "data-keys", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert new_key.split(":")[1] not in done.stdout + done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    before = await _rows(wired, "SELECT personal FROM cases")
    rotated = await asyncio.to_thread(command, "rotate")

    assert rotated[0] == {
        "resealed": 1,
        "notes_resealed": 0,
        "old_reasons_sealed": 0,
        "key_id": "test-2",
    }
    assert rotated[1]["sealed_by_key"] == {"test-2": 1}
    after = await _rows(wired, "SELECT personal, personal_key_id FROM cases")
    assert after[0]["personal_key_id"] == "test-2"
    assert bytes(after[0]["personal"]) != bytes(before[0]["personal"])
    # An intake given the new keys opens it; the old key alone no longer does.
    sealed = Sealed("test-2", bytes(after[0]["personal"]))
    bound_to = uuid.UUID(opened["case_id"]).bytes
    keys = DataKeys.parse(env["INTAKE_DATA_KEYS"])
    assert json.loads(keys.open(sealed, bound_to=bound_to))["whereabouts"] == WHEREABOUTS
    with pytest.raises(SealError):
        DataKeys.parse(data_keys).open(sealed, bound_to=bound_to)
    assert await asyncio.to_thread(command, "status") == [
        {
            "current": "test-2",
            "sealed_by_key": {"test-2": 1},
            "notes_by_key": {},
            "old_reasons_unsealed": 0,
            "unknown_keys": [],
        }
    ]
