"""Words a person adds to a decline or a pause stay in intake, sealed: on no topic, in no
outbox row, plaintext column or log line; the provider that wrote them and a coordinator
read them back through the API, audited; anyone else gets the 404 of an unknown id."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from lindung_contracts import (
    ClockChangeRequested,
    Envelope,
    ProviderResponded,
    ReasonCode,
    ReferralRerouted,
    decode,
)
from structlog.testing import capture_logs

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
CHILD = "Aye Aye Mon"
DECLINE_NOTE = f"  No bed tonight for {CHILD}, 15; try the shelter in Klang.  "
PAUSE_NOTE = f"{CHILD} is in ward 4 at Hospital Kuala Lumpur."
DECLINED = NOW + timedelta(minutes=1)


@pytest.fixture
async def referral(wired, referral_requested):
    """A referral to shelter-kl-1, as intake learns of it from the router."""
    envelope = referral_requested(provider_id="shelter-kl-1")
    await wired.runtime.deliver(envelope, consumer="intake")
    return envelope.data


async def _decline_and_pause(client, callers, clock, referral_id) -> None:
    """A coordinator pauses the referral, and a minute later its provider declines it."""
    url = f"/v1/referrals/{referral_id}"
    pause = {"reason": "child_in_hospital", "note": PAUSE_NOTE}
    paused = await client.post(f"{url}/pause", json=pause, headers=callers.coordinator)
    assert paused.status_code == 202, paused.text
    clock.at = DECLINED
    decline = {"reason": "at_capacity", "note": DECLINE_NOTE}
    declined = await client.post(f"{url}/decline", json=decline, headers=callers.provider)
    assert declined.status_code == 202, declined.text


async def _published(wired) -> list[dict]:
    """Every outbox row, once the relay has sent each one to the broker."""
    async with asyncio.timeout(30):
        while True:
            async with wired.runtime.service.db.pool.acquire() as conn:
                rows = [dict(r) for r in await conn.fetch("SELECT * FROM outbox ORDER BY id")]
            if rows and all(r["published_at"] is not None for r in rows):
                return rows
            await asyncio.sleep(0.1)


async def _every_record(stack) -> list[tuple[str, bytes]]:
    """Every record's key, header values and value, on every topic, read as the admin."""
    admin = AIOKafkaAdminClient(**stack.kafka())
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(**stack.kafka(), enable_auto_commit=False)
    await consumer.start()
    found: list[tuple[str, bytes]] = []
    try:
        await consumer._client.force_metadata_update()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        left = {tp for tp in partitions if ends[tp] > 0}
        while left:
            batches = await consumer.getmany(*left, timeout_ms=2000)
            if not batches:
                break
            for tp, messages in batches.items():
                for m in messages:
                    headers = b"".join(v or b"" for _, v in m.headers)
                    found.append((m.topic, (m.key or b"") + headers + (m.value or b"")))
                if messages and messages[-1].offset + 1 >= ends[tp]:
                    left.discard(tp)
    finally:
        await consumer.stop()
    return found


async def _plaintext_columns(wired) -> list[tuple[str, str]]:
    """Every row of every table of this intake's schema as text, bytea columns left out."""
    schema = wired.runtime.service.db.schema
    async with wired.runtime.service.db.pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT table_name, array_agg(column_name::text) AS names"
            " FROM information_schema.columns WHERE table_schema = $1"
            " AND data_type <> 'bytea' GROUP BY 1",
            schema,
        )
        rows: list[tuple[str, str]] = []
        for table in tables:
            listed = ", ".join(f'"{name}"::text' for name in table["names"])
            query = f'SELECT concat_ws(\' \', {listed}) FROM "{schema}"."{table["table_name"]}"'
            rows.extend((table["table_name"], row[0] or "") for row in await conn.fetch(query))
    return rows


async def test_a_decline_and_a_pause_naming_the_child_leave_the_name_only_sealed(
    stack, wired, client, callers, clock, referral, caplog
):
    caplog.set_level(logging.INFO)
    with capture_logs() as logs:
        await _decline_and_pause(client, callers, clock, referral.referral_id)
        outbox = await _published(wired)
    records = await _every_record(stack)
    columns = await _plaintext_columns(wired)

    # Only the codes travel: both events, as queued and as the broker holds them.
    envelopes = [decode(bytes(row["value"])) for row in outbox]
    events = [envelope.data for envelope in envelopes]
    assert [(type(e), e.reason) for e in events] == [
        (ClockChangeRequested, ReasonCode.CHILD_IN_HOSPITAL),
        (ProviderResponded, ReasonCode.AT_CAPACITY),
    ]
    # The places looked in are not empty: the events are on the broker, the rows in place.
    ids = [str(envelope.id).encode() for envelope in envelopes]
    assert all(any(i in value for _, value in records) for i in ids)
    assert {"notes", "provider_responses", "clock_changes"} <= {t for t, _ in columns}
    assert logs  # intake logged what happened
    lines = [repr(entry) for entry in logs]
    lines += [r.getMessage() + repr(r.__dict__) for r in caplog.records]
    for words in ("Aye Aye", "ward 4", "Klang"):
        for row in outbox:
            assert words.encode() not in bytes(row["value"]) + bytes(row["key"])
            assert words not in json.dumps(row["headers"])
        assert [t for t, value in records if words.encode() in value] == []
        assert [t for t, text in columns if words in text] == []
        assert [line for line in lines if words in line] == []
    async with wired.runtime.service.db.pool.acquire() as conn:
        stored = await conn.fetch("SELECT * FROM notes ORDER BY written_at")
        reasons = await conn.fetchval("SELECT reason FROM provider_responses")
        clock = await conn.fetchval("SELECT reason FROM clock_changes")
    assert (reasons, clock) == ("at_capacity", "child_in_hospital")
    assert [(n["about"], n["reason"], n["writer_kind"], n["words_key_id"]) for n in stored] == [
        ("pause", "child_in_hospital", "coordinator", "test-1"),
        ("decline", "at_capacity", "provider", "test-1"),
    ]
    assert all(CHILD.encode() not in bytes(n["words"]) for n in stored)


async def test_the_writer_and_a_coordinator_read_the_words_and_every_read_is_audited(
    wired, client, callers, clock, referral
):
    await _decline_and_pause(client, callers, clock, referral.referral_id)
    url = f"/v1/referrals/{referral.referral_id}/notes"

    provider = await client.get(url, headers=callers.provider)
    coordinator = await client.get(url, headers=callers.coordinator)
    other = await client.get(url, headers=callers.other_provider)
    agency = await client.get(url, headers=callers.agency)
    unknown_id = uuid.uuid4()
    unknown = await client.get(f"/v1/referrals/{unknown_id}/notes", headers=callers.other_provider)

    assert provider.status_code == 200, provider.text
    (own,) = provider.json()["notes"]  # its own decline, not the coordinator's pause
    assert (own["about"], own["reason"], own["writer_kind"], own["writer_id"]) == (
        "decline",
        "at_capacity",
        "provider",
        "shelter-kl-1",
    )
    assert own["words"] == DECLINE_NOTE.strip()
    assert datetime.fromisoformat(own["written_at"]) == DECLINED
    assert coordinator.status_code == 200, coordinator.text
    assert [(n["about"], n["words"]) for n in coordinator.json()["notes"]] == [
        ("pause", PAUSE_NOTE),
        ("decline", DECLINE_NOTE.strip()),
    ]
    # Someone else's referral is exactly like one that does not exist.
    for refused in (other, agency):
        assert refused.status_code == 404
        assert refused.json() == {
            "errors": [{"field": "path", "reason": f"referral {referral.referral_id} not found"}]
        }
    assert unknown.status_code == 404
    assert unknown.json() == {
        "errors": [{"field": "path", "reason": f"referral {unknown_id} not found"}]
    }
    audit = await client.get(
        "/v1/audit", params={"resource": str(referral.referral_id)}, headers=callers.operations
    )
    reads = sorted(
        (r["reader_id"], r["resource"], r["shown"], r["fields"]) for r in audit.json()["reads"]
    )
    notes = {n["about"]: n["note_id"] for n in coordinator.json()["notes"]}
    assert reads == [
        ("coordinator-kl", "notes", True, [f"notes.{notes['pause']}", f"notes.{notes['decline']}"]),
        ("pdrm-kl", "notes", False, []),
        ("shelter-kl-1", "notes", True, [f"notes.{notes['decline']}"]),
        ("shelter-kl-2", "notes", False, []),
    ]
    async with wired.runtime.service.db.pool.acquire() as conn:
        refused = await conn.fetchrow(
            "SELECT reader_id, resource, shown FROM read_audit WHERE resource_id = $1", unknown_id
        )
    assert dict(refused) == {"reader_id": "shelter-kl-2", "resource": "notes", "shown": False}


async def test_a_provider_reads_its_notes_after_the_referral_was_taken_back(
    wired, client, callers, referral
):
    url = f"/v1/referrals/{referral.referral_id}"
    decline = {"reason": "not_eligible", "note": "Boys only at this shelter."}
    assert (await client.post(f"{url}/decline", json=decline, headers=callers.provider)).is_success
    rerouted = ReferralRerouted(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=NOW,
        reason="declined",
        new_referral_id=uuid.uuid4(),
        new_provider_id="shelter-kl-2",
    )
    envelope = Envelope.wrap(rerouted, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")
    await wired.runtime.deliver(envelope, consumer="intake")

    read = await client.get(f"{url}/notes", headers=callers.provider)

    assert read.status_code == 200, read.text
    assert [n["words"] for n in read.json()["notes"]] == ["Boys only at this shelter."]


async def test_a_note_only_with_a_decline_or_failure_and_no_unknown_key_slips_words_by(
    wired, client, callers, referral, outbox
):
    url = f"/v1/referrals/{referral.referral_id}"
    with_accept = await client.post(
        f"{url}/accept", json={"note": f"Taking {CHILD} tonight."}, headers=callers.provider
    )
    misspelt = await client.post(
        f"{url}/decline",
        json={"reason": "at_capacity", "notes": f"No bed for {CHILD}."},
        headers=callers.provider,
    )
    too_long = await client.post(
        f"{url}/decline",
        json={"reason": "at_capacity", "note": CHILD * 100},
        headers=callers.provider,
    )

    assert with_accept.status_code == 422
    assert [e["field"] for e in with_accept.json()["errors"]] == ["note"]
    assert misspelt.status_code == 422
    assert [e["field"] for e in misspelt.json()["errors"]] == ["<key>"]
    assert too_long.status_code == 422
    assert [e["field"] for e in too_long.json()["errors"]] == ["note"]
    for refused in (with_accept, misspelt, too_long):
        assert CHILD not in refused.text
    assert await outbox() == []
    async with wired.runtime.service.db.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM notes") == 0


async def test_a_repeated_decline_keeps_the_first_note(wired, client, callers, referral):
    url = f"/v1/referrals/{referral.referral_id}"
    first = await client.post(
        f"{url}/decline", json={"reason": "at_capacity", "note": "First."}, headers=callers.provider
    )
    again = await client.post(
        f"{url}/decline", json={"reason": "other", "note": "Second."}, headers=callers.provider
    )

    assert again.json() == first.json()
    read = await client.get(f"{url}/notes", headers=callers.coordinator)
    assert [(n["reason"], n["words"]) for n in read.json()["notes"]] == [("at_capacity", "First.")]
