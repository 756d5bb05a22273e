"""`POST /v1/identifications`: a case opened once per reference, clear refusals, no echo."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from lindung_common import Runtime
from lindung_contracts import CASES, STRUCTURED_CONTENT_TYPE, CaseOpened, Identification
from lindung_intake.bootstrap import build
from lindung_intake.settings import IntakeSettings

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
URL = "/v1/identifications"


async def test_a_valid_identification_opens_a_case_and_queues_case_opened(
    client, callers, identification, outbox
):
    body = identification()
    response = await client.post(URL, json=body, headers=callers.agency)

    assert response.status_code == 202
    answer = response.json()
    assert answer["created"] is True
    case_id = uuid.UUID(answer["case_id"])

    rows = await outbox()
    assert len(rows) == 1
    row, event = rows[0], rows[0]["event"]
    sent = Identification.model_validate(body)
    opened = event.data
    assert isinstance(opened, CaseOpened)
    assert opened.case_id == case_id
    assert opened.agency_id == "pdrm-kl"  # from the key, not from the body
    assert opened.identified_at == sent.identified_at
    assert opened.opened_at == NOW
    assert opened.child == sent.child
    assert opened.situation == sent.situation
    assert bytes(row["key"]) == str(case_id).encode()
    assert row["topic"] == CASES.name
    assert ["content-type", STRUCTURED_CONTENT_TYPE] in json.loads(row["headers"])
    assert event.source == "/lindung/intake"
    assert event.subject == str(case_id)


async def test_the_same_identification_again_returns_the_same_case_and_queues_nothing(
    client, callers, identification, outbox
):
    body = identification()
    first = await client.post(URL, json=body, headers=callers.agency)
    again = await client.post(URL, json=body, headers=callers.agency)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"case_id": first.json()["case_id"], "created": False, "linked": False}
    assert len(await outbox()) == 1


async def test_a_retry_that_spells_out_the_defaults_is_the_same_identification(
    client, callers, identification, outbox
):
    body = identification()
    first = await client.post(URL, json=body, headers=callers.agency)
    explicit = identification(
        agency_reference=body["agency_reference"],
        child={"age_disputed": False},
        situation={"court_date_pending": False, "agency_languages": ["ms", "en"]},
    )
    again = await client.post(URL, json=explicit, headers=callers.agency)

    assert again.status_code == 200
    assert again.json()["case_id"] == first.json()["case_id"]
    assert len(await outbox()) == 1


async def test_a_reused_reference_with_another_body_is_a_conflict(
    client, callers, identification, outbox
):
    body = identification()
    first = await client.post(URL, json=body, headers=callers.agency)
    changed = identification(agency_reference=body["agency_reference"], child={"age_years": 9})
    clash = await client.post(URL, json=changed, headers=callers.agency)

    assert first.status_code == 202
    assert clash.status_code == 409
    assert [e["field"] for e in clash.json()["errors"]] == ["agency_reference"]
    assert len(await outbox()) == 1


async def test_two_agencies_may_use_the_same_reference_for_different_children(
    client, callers, identification, outbox
):
    body = identification()
    mine = await client.post(URL, json=body, headers=callers.agency)
    theirs = await client.post(URL, json=body, headers=callers.other_agency)

    assert (mine.status_code, theirs.status_code) == (202, 202)
    assert mine.json()["case_id"] != theirs.json()["case_id"]
    agencies = [row["event"].data.agency_id for row in await outbox()]
    assert agencies == ["pdrm-kl", "jtk-johor"]


def _drop_identified_at(body):
    del body["identified_at"]
    return body


def _adult(body):
    body["child"]["age_years"] = 19
    return body


def _unknown_state(body):
    body["situation"]["state"] = "atlantis_sentinel"
    return body


def _future(body):
    body["identified_at"] = (NOW + timedelta(hours=1)).isoformat()
    body["situation"]["sexual_violence_at"] = None
    return body


def _bad_language(body):
    body["child"]["languages"] = ["ms", "SENTINEL"]
    return body


def _repeated_indicator(body):
    body["situation"]["indicators"] = ["forced_labour", "forced_labour"]
    return body


@pytest.mark.parametrize(
    "bad",
    [
        (_drop_identified_at, "identified_at", "required"),
        (_adult, "child", "age_years"),
        (_unknown_state, "situation.state", "kuala_lumpur"),
        (_future, "identified_at", "future"),
        (_bad_language, "child.languages.1", "pattern"),
        (_repeated_indicator, "situation.indicators", "repeat"),
    ],
    ids=["missing-identified-at", "adult", "unknown-state", "future", "language", "indicators"],
)
async def test_a_bad_identification_is_refused_naming_the_field(
    client, callers, identification, outbox, bad
):
    spoil, field, reason_mentions = bad
    body = spoil(identification())
    response = await client.post(URL, json=body, headers=callers.agency)

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert reason_mentions in errors[0]["reason"]
    assert await outbox() == []


async def test_every_bad_field_is_named_at_once_and_no_value_is_echoed(
    client, callers, identification, outbox
):
    body = identification(agency_reference="SENTINEL-REF-0042")
    del body["identified_at"]
    body["child"]["age_years"] = 19
    body["situation"] |= {"state": "atlantis_sentinel", "location": "sentinel_place"}

    response = await client.post(URL, json=body, headers=callers.agency)

    assert response.status_code == 422
    assert set(response.json()) == {"errors"}
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"identified_at", "child", "situation.state", "situation.location"}
    assert all(set(e) == {"field", "reason"} for e in response.json()["errors"])
    assert "SENTINEL" not in response.text.upper()
    assert "atlantis" not in response.text
    assert await outbox() == []


@pytest.mark.parametrize("made_up", ["AyeAyeMon", "MMR17C01234"])
async def test_a_key_the_model_does_not_declare_is_never_echoed(
    client, callers, identification, outbox, made_up
):
    body = identification()
    body["child"][made_up] = 15
    body["personal"] = {"documents": [{"kind": "unhcr_card", "number": "A-1", made_up: "x"}]}

    response = await client.post(URL, json=body, headers=callers.agency)

    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == [
        "child.<key>",
        "personal.documents.0.<key>",
    ]
    assert made_up not in response.text
    assert await outbox() == []


async def test_a_body_that_is_not_json_is_refused_with_a_problem(client, callers, outbox):
    response = await client.post(
        URL,
        content=b"agency_reference=x",
        headers=callers.agency | {"Content-Type": "application/json"},
    )
    # Said to be JSON but not JSON: a bad request, not an invalid identification.
    assert response.status_code == 400
    assert response.json() == {"errors": [{"field": "body", "reason": "not valid JSON"}]}
    assert await outbox() == []


async def test_the_api_documents_itself(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    documented = {"/v1/identifications", "/v1/referrals/{referral_id}/{action}"}
    assert documented | {"/health/live", "/health/ready", "/metrics"} <= set(paths)


async def test_readiness_tells_the_truth_when_the_kafka_consumers_do_not_run(client):
    # Here the API runs without the worker's agents. Intake still takes identifications
    # into its outbox, so it stays ready (agencies are not turned away) and says it is
    # degraded, and why.
    live = await client.get("/health/live")
    assert (live.status_code, live.json()["service"]) == (200, "intake")
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["outbox"]["waiting"] == 0
    assert body["problems"] == []
    assert "consumer intake-door is not running" in body["degraded"]
    assert "consumer intake is not running" in body["degraded"]


async def test_a_retry_writing_the_same_instant_in_another_offset_is_the_same_identification(
    client, callers, identification, outbox
):
    body = identification()
    first = await client.post(URL, json=body, headers=callers.agency)
    malaysian_time = timezone(timedelta(hours=8))
    same_instant = datetime.fromisoformat(body["identified_at"]).astimezone(malaysian_time)
    again = await client.post(
        URL, json=body | {"identified_at": same_instant.isoformat()}, headers=callers.agency
    )

    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["case_id"] == first.json()["case_id"]
    assert len(await outbox()) == 1


async def test_a_time_before_year_one_in_utc_is_refused_with_422(
    client, callers, identification, outbox
):
    body = identification() | {"identified_at": "0001-01-01T00:00:00+05:00"}
    body["situation"]["sexual_violence_at"] = None
    response = await client.post(URL, json=body, headers=callers.agency)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "identified_at"
    assert "out of range" in error["reason"]
    assert await outbox() == []


async def test_a_database_that_does_not_answer_in_time_gets_503_and_nothing_is_stored(
    stack, schema, keys_file, key_secret, data_keys, clock, callers, identification
):
    settings = IntakeSettings(
        **stack.kafka_settings("intake"),
        database_url=stack.database_url,
        api_keys_file=keys_file,
        key_secret=key_secret,
        data_keys=data_keys,
        http_port=0,
        db_statement_timeout_seconds=0.5,
    )
    runtime = Runtime(build(settings, schema=schema, clock=clock))
    await runtime.start(relay=False)
    body = identification()
    transport = httpx.ASGITransport(app=runtime.web())
    try:
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://intake") as http,
            runtime.service.db.pool.acquire() as blocker,
            blocker.transaction(),
        ):
            # Another transaction holds the table: the insert times out on the server.
            await blocker.execute("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE")
            response = await http.post(URL, json=body, headers=callers.agency)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.json()["errors"][0]["field"] == "service"
        async with runtime.service.db.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM cases") == 0
            assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
        # The agency retries once the database answers: accepted, once.
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
            assert (await http.post(URL, json=body, headers=callers.agency)).status_code == 202
    finally:
        await runtime.stop()


async def test_an_identification_dated_1900_is_refused_with_422(
    client, callers, identification, outbox
):
    body = identification() | {"identified_at": "1900-01-01T09:00:00+08:00"}
    body["situation"]["sexual_violence_at"] = None
    response = await client.post(URL, json=body, headers=callers.agency)

    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "identified_at"
    assert "more than 30 days ago" in error["reason"]
    assert await outbox() == []


async def test_sexual_violence_later_than_now_is_refused_and_after_identification_taken(
    client, callers, identification, outbox
):
    identified = NOW - timedelta(minutes=40)
    future = identification()
    future["situation"]["sexual_violence_at"] = (NOW + timedelta(hours=1)).isoformat()
    in_custody = identification()
    in_custody["situation"]["sexual_violence_at"] = (identified + timedelta(minutes=10)).isoformat()

    refused = await client.post(URL, json=future, headers=callers.agency)
    assert refused.status_code == 422
    assert refused.json() == {
        "errors": [{"field": "situation.sexual_violence_at", "reason": "is in the future"}]
    }
    assert await outbox() == []
    taken = await client.post(URL, json=in_custody, headers=callers.agency)
    assert taken.status_code == 202, taken.text
