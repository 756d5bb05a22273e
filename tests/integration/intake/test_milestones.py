"""A case coordinator records a case's legal milestones: kept, passed on, refused in one shape."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from lindung_common.keys import hash_key
from lindung_contracts import CASES, CaseMilestoneRecorded, MilestoneKind

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
BOUND = {
    "key-of-coordinator-sel-8d1f": ("coordinator-sel", ["selangor", "kuala_lumpur"]),
    "key-of-coordinator-jhr-2c7b": ("coordinator-jhr", ["johor"]),
}
SEL, JHR = ({"Authorization": f"Bearer {key}"} for key in BOUND)


@pytest.fixture
def keys_file(keys_file, key_secret):
    """The test keys, and coordinators' keys bound to states."""
    document = json.loads(keys_file.read_text())
    document["keys"] += [
        {
            "key_id": f"k_{who}",
            "hmac_sha256": hash_key(key, key_secret.encode()),
            "kind": "coordinator",
            "id": who,
            "states": states,
        }
        for key, (who, states) in BOUND.items()
    ]
    keys_file.write_text(json.dumps(document))
    return keys_file


@pytest.fixture
async def case_id(client, callers, identification):
    """A case of a child in Kuala Lumpur."""
    response = await client.post(
        "/v1/identifications", json=identification(), headers=callers.agency
    )
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["case_id"])


def _url(case_id) -> str:
    return f"/v1/cases/{case_id}/milestones"


async def _milestones(outbox) -> list[CaseMilestoneRecorded]:
    return [
        r["event"].data
        for r in await outbox()
        if r["topic"] == CASES.name and isinstance(r["event"].data, CaseMilestoneRecorded)
    ]


async def test_a_milestone_is_recorded_and_queued_on_the_cases_topic(
    client, case_id, outbox, wired
):
    taken = NOW - timedelta(hours=3)
    body = {"kind": "taken_into_care", "at": taken.astimezone().isoformat()}
    response = await client.post(_url(case_id), json=body, headers=SEL)

    assert response.status_code == 202, response.text
    milestone_id = uuid.UUID(response.json()["milestone_id"])
    (row,) = [r for r in await outbox() if isinstance(r["event"].data, CaseMilestoneRecorded)]
    assert row["topic"] == CASES.name
    assert bytes(row["key"]) == str(case_id).encode()
    assert row["event"].data == CaseMilestoneRecorded(
        milestone_id=milestone_id,
        case_id=case_id,
        kind=MilestoneKind.TAKEN_INTO_CARE,
        at=taken,
        coordinator_id="coordinator-sel",
        recorded_at=NOW,
    )
    async with wired.runtime.service.db.pool.acquire() as conn:
        kept = await conn.fetchrow("SELECT * FROM case_milestones WHERE case_id = $1", case_id)
    assert (kept["milestone_id"], kept["kind"], kept["at"]) == (
        milestone_id,
        "taken_into_care",
        taken,
    )


async def test_a_court_date_comes_with_its_day(client, case_id, outbox):
    body = {"kind": "court_date_set", "at": NOW.isoformat(), "court_date": "2026-03-20"}
    response = await client.post(_url(case_id), json=body, headers=SEL)

    assert response.status_code == 202, response.text
    (milestone,) = await _milestones(outbox)
    assert milestone.court_date == date(2026, 3, 20)


async def test_refusals_in_the_one_shape(client, callers, case_id, outbox):
    body = {"kind": "medical_examination_done", "at": NOW.isoformat()}
    # Another state's coordinator: exactly like an unknown case.
    other = await client.post(_url(case_id), json=body, headers=JHR)
    unknown = await client.post(_url(uuid.uuid4()), json=body, headers=SEL)
    assert (other.status_code, unknown.status_code) == (404, 404)
    assert other.json()["errors"] == [{"field": "path", "reason": f"case {case_id} not found"}]
    for caller in (callers.agency, callers.provider):
        refused = await client.post(_url(case_id), json=body, headers=caller)
        assert refused.status_code == 403, refused.text
        assert refused.json()["errors"][0]["field"] == "authorization"
    for wrong, field in (
        ({"kind": "rescued", "at": NOW.isoformat()}, None),
        ({"kind": "taken_into_care", "at": "2026-03-02T10:00:00"}, None),  # no offset
        ({"kind": "taken_into_care"}, None),
        ({"kind": "taken_into_care", "at": NOW.isoformat(), "note": "x"}, None),
        ({"kind": "court_date_set", "at": NOW.isoformat()}, "court_date"),
        ({"kind": "taken_into_care", "at": NOW.isoformat(), "court_date": "2026-03-20"},
         "court_date"),
        ({"kind": "taken_into_care", "at": (NOW + timedelta(hours=1)).isoformat()}, "at"),
        ({"kind": "taken_into_care", "at": (NOW - timedelta(days=31)).isoformat()}, "at"),
        ({"kind": "taken_into_care", "at": "0001-01-01T00:00:00+14:00"}, "at"),
    ):  # fmt: skip
        bad = await client.post(_url(case_id), json=wrong, headers=SEL)
        assert bad.status_code == 422, (wrong, bad.text)
        errors = bad.json()["errors"]
        assert errors, bad.text
        assert all(set(e) == {"field", "reason"} for e in errors)
        if field is not None:
            assert [e["field"] for e in errors] == [field]
    assert await _milestones(outbox) == []

    first = await client.post(_url(case_id), json=body, headers=SEL)
    again = await client.post(
        _url(case_id), json=body | {"at": (NOW - timedelta(hours=1)).isoformat()}, headers=SEL
    )
    assert first.status_code == 202, first.text
    assert again.status_code == 409
    assert again.json()["errors"] == [
        {"field": "kind", "reason": f"was recorded already, as at {NOW.isoformat()}"}
    ]
    assert len(await _milestones(outbox)) == 1
