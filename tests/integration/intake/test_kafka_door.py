"""An agency's own topic: valid identifications open cases; every bad record is refused with why."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import TopicAuthorizationFailedError
from lindung_common import Record, client_options
from lindung_contracts import (
    AGENCY_IDENTIFICATIONS,
    IDENTIFICATION_REJECTIONS,
    STRUCTURED_CONTENT_TYPE,
    CaseOpened,
    Envelope,
    Identification,
    IdentificationRejected,
    IdentificationReported,
    decode,
    encode,
)
from lindung_intake.use_cases import DOOR
from structlog.testing import capture_logs

if TYPE_CHECKING:
    from aiokafka.structs import RecordMetadata

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
HEADERS = [("content-type", STRUCTURED_CONTENT_TYPE.encode())]
# pdrm-kl's own topic, which only its principal may write.
PDRM_KL = AGENCY_IDENTIFICATIONS.for_agency("pdrm-kl")


def _reported(body: dict, agency_id: str = "pdrm-kl", **data: object) -> Envelope:
    payload = IdentificationReported(
        agency_id=agency_id,
        agency_reference=str(data.pop("agency_reference", body["agency_reference"])),
        identification=Identification.model_validate(body),
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source=f"/agencies/{agency_id}")


def _raw(envelope: Envelope, spoil) -> bytes:
    """The envelope's JSON with one field spoiled, as a careless agency system might send."""
    document = json.loads(encode(envelope).value)
    spoil(document["data"]["identification"])
    return json.dumps(document).encode()


async def _rejections(runtime) -> dict[tuple[int, int], IdentificationRejected]:
    """This schema's rejections of agency-topic records, by (partition, offset)."""
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT value FROM outbox WHERE event_type = $1 ORDER BY id",
            IdentificationRejected.event_type,
        )
    found: dict[tuple[int, int], IdentificationRejected] = {}
    for row in rows:
        rejection = decode(bytes(row["value"])).data
        position = (rejection.original_partition, rejection.original_offset)
        assert position not in found, f"record at {position} rejected twice"
        found[position] = rejection
    return found


def _of(rejection: IdentificationRejected, meta: RecordMetadata) -> bool:
    """Whether a rejection is of the record sent (other tests' share the topic)."""
    sent = (PDRM_KL.name, meta.partition, meta.offset)
    return (
        rejection.original_topic,
        rejection.original_partition,
        rejection.original_offset,
    ) == sent


async def _cases(runtime, reference: str) -> list[dict]:
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM cases WHERE agency_reference = $1", reference)
    return [dict(row) for row in rows]


async def _read_at(wired, partition: int, offset: int) -> Record:
    """The record at one position of the agency topic, read again (a redelivery)."""
    consumer = AIOKafkaConsumer(**client_options(wired.settings), enable_auto_commit=False)
    await consumer.start()
    try:
        where = TopicPartition(PDRM_KL.name, partition)
        consumer.assign([where])
        consumer.seek(where, offset)
        message = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    return Record(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=tuple(message.headers),
    )


async def _door(wired, *records: Record) -> None:
    """Hand records to the agency door's consume path, as the worker's agent does."""
    await wired.runtime.deliver_records(*records, consumer=DOOR)


async def test_the_agency_topic_opens_cases_and_rejects_each_bad_record_once(
    stack, wired, identification, outbox
):
    good = identification()
    future = identification()
    future["identified_at"] = (NOW + timedelta(hours=2)).isoformat()
    future["situation"]["sexual_violence_at"] = None
    adult = _raw(_reported(identification()), lambda i: i["child"].update(age_years=19))
    garbage = b"\x00not an event " + uuid.uuid4().hex.encode()
    sent = {
        "good": (_reported(good), None),
        "garbage": (None, garbage),
        # Written on pdrm-kl's topic in another agency's name.
        "other-agency": (_reported(identification(), agency_id="jtk-johor"), None),
        "adult": (None, adult),
        "future": (_reported(future), None),
        "mismatch": (_reported(identification(), agency_reference="OTHER/REF/1"), None),
    }
    producer = AIOKafkaProducer(**stack.kafka("agency.pdrm-kl"))
    await producer.start()
    positions: dict[str, tuple[int, int]] = {}
    originals: dict[str, bytes] = {}
    try:
        for name, (envelope, raw) in sent.items():
            value = encode(envelope).value if envelope else raw
            key = encode(envelope).key if envelope else None
            meta = await producer.send_and_wait(PDRM_KL.name, value=value, key=key, headers=HEADERS)
            positions[name] = (meta.partition, meta.offset)
            originals[name] = value
    finally:
        await producer.stop()

    bad = {name: positions[name] for name in sent if name != "good"}
    reference = good["agency_reference"]
    # In offset order per partition, as the worker's agent hands them over.
    await _door(wired, *[await _read_at(wired, *positions[name]) for name in sorted(
        sent, key=lambda n: positions[n])])  # fmt: skip
    assert await _cases(wired.runtime, reference)

    rejections = await _rejections(wired.runtime)
    for name, position in bad.items():
        rejection = rejections[position]
        # Identified for the agency, never repeated: the bytes stay in intake.
        assert rejection.original_value_b64 == "", name
        assert rejection.original_sha256 == hashlib.sha256(originals[name]).hexdigest(), name
        assert rejection.original_topic == PDRM_KL.name
        # The topic's agency, whatever the record said: the refusal goes back to the sender.
        assert rejection.agency_id == "pdrm-kl", name
        assert rejection.rejected_at == NOW
    fields = {name: [e.field for e in rejections[p].errors] for name, p in bad.items()}
    assert fields == {
        "garbage": ["value"],
        "other-agency": ["data.agency_id"],
        "adult": ["data.identification.child"],
        "future": ["data.identification.identified_at"],
        "mismatch": ["data.agency_reference"],
    }
    assert "age_years" in rejections[bad["adult"]].errors[0].reason
    assert "another agency" in rejections[bad["other-agency"]].errors[0].reason
    assert "jtk-johor" not in rejections[bad["other-agency"]].errors[0].reason

    cases = await _cases(wired.runtime, good["agency_reference"])
    assert len(cases) == 1
    assert (cases[0]["agency_id"], cases[0]["channel"]) == ("pdrm-kl", "kafka")
    opened = [
        row["event"].data
        for row in await outbox()
        if isinstance(row["event"].data, CaseOpened)
        and row["event"].data.case_id == cases[0]["case_id"]
    ]
    assert len(opened) == 1
    assert opened[0].child == Identification.model_validate(good).child

    # Kafka hands the same records over again (no commit before a crash): nothing doubles.
    before = len(await outbox())
    for name in ("good", "garbage", "adult"):
        await _door(wired, await _read_at(wired, *positions[name]))
    assert len(await outbox()) == before
    assert len(await _cases(wired.runtime, good["agency_reference"])) == 1


async def test_the_same_identification_over_http_and_kafka_is_one_case(
    stack, wired, client, callers, identification, outbox
):
    body = identification()
    over_http = await client.post("/v1/identifications", json=body, headers=callers.agency)
    envelope = _reported(body)
    record = encode(envelope)
    producer = AIOKafkaProducer(**stack.kafka("agency.pdrm-kl"))
    await producer.start()
    try:
        meta = await producer.send_and_wait(
            record.topic, value=record.value, key=record.key, headers=list(record.headers)
        )
    finally:
        await producer.stop()

    await _door(wired, await _read_at(wired, meta.partition, meta.offset))

    assert over_http.status_code == 202
    cases = await _cases(wired.runtime, body["agency_reference"])
    assert [str(c["case_id"]) for c in cases] == [over_http.json()["case_id"]]
    assert len(await outbox()) == 1


async def test_a_report_in_another_agency_s_name_is_refused_and_only_the_sender_hears_of_it(
    stack, wired, identification
):
    mine = IDENTIFICATION_REJECTIONS.for_agency("pdrm-kl")
    theirs = IDENTIFICATION_REJECTIONS.for_agency("jtk-johor")
    admin = AIOKafkaConsumer(**stack.kafka(), enable_auto_commit=False)
    await admin.start()
    their_ends = await admin.end_offsets([TopicPartition(theirs.name, 0)])
    # pdrm-kl, on its own topic, reports a child in jtk-johor's name.
    forged = encode(_reported(identification(), agency_id="jtk-johor"))
    producer = AIOKafkaProducer(**stack.kafka("agency.pdrm-kl"))
    await producer.start()
    try:
        meta = await producer.send_and_wait(
            PDRM_KL.name, value=forged.value, key=forged.key, headers=HEADERS
        )
    finally:
        await producer.stop()

    await _door(wired, await _read_at(wired, meta.partition, meta.offset))

    # pdrm-kl reads the refusal on its own rejections topic, with its own principal.
    reader = AIOKafkaConsumer(
        mine.name,
        **stack.kafka("agency.pdrm-kl"),
        group_id=f"agency.pdrm-kl.{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await reader.start()
    try:
        async with asyncio.timeout(30):
            while True:
                rejection = decode((await reader.getone()).value).data
                if _of(rejection, meta):
                    break
    finally:
        await reader.stop()
    assert rejection.agency_id == "pdrm-kl"
    assert [e.field for e in rejection.errors] == ["data.agency_id"]
    # jtk-johor hears nothing of it, and may not read pdrm-kl's rejections.
    assert await admin.end_offsets([TopicPartition(theirs.name, 0)]) == their_ends
    await admin.stop()
    snoop = AIOKafkaConsumer(
        mine.name, **stack.kafka("agency.jtk-johor"), group_id="agency.jtk-johor.snoop"
    )
    with pytest.raises(TopicAuthorizationFailedError):
        await snoop.start()
    await snoop.stop()


@pytest.mark.parametrize("made_up", ["AyeAyeMon", "MMR17C01234"])
async def test_a_made_up_key_is_refused_and_repeated_nowhere(stack, wired, identification, made_up):
    def spoil(body: dict) -> None:
        body["child"][made_up] = 15

    value = _raw(_reported(identification()), spoil)
    producer = AIOKafkaProducer(**stack.kafka("agency.pdrm-kl"))
    await producer.start()
    try:
        meta = await producer.send_and_wait(PDRM_KL.name, value=value, headers=HEADERS)
    finally:
        await producer.stop()
    assert made_up.encode() in value

    with capture_logs() as logs:
        await _door(wired, await _read_at(wired, meta.partition, meta.offset))

    # The agency's rejections topic, as the relay published it: the raw record.
    rejections = IDENTIFICATION_REJECTIONS.for_agency("pdrm-kl")
    reader = AIOKafkaConsumer(
        rejections.name, **stack.kafka(), group_id=None, auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        async with asyncio.timeout(30):
            while True:
                record = await reader.getone()
                rejection = decode(record.value).data
                if _of(rejection, meta):
                    break
    finally:
        await reader.stop()
    assert [e.field for e in rejection.errors] == ["data.identification.child.<key>"]
    assert made_up.encode() not in record.value
    # The dead letter keeps the record whole for a replay, but its reason is plain words.
    async with wired.runtime.service.db.pool.acquire() as conn:
        letter = await conn.fetchrow(
            'SELECT reason, value FROM dead_letters WHERE topic = $1 AND "offset" = $2',
            PDRM_KL.name,
            meta.offset,
        )
    assert bytes(letter["value"]) == value
    assert "data.identification.child.<key>" in letter["reason"]
    assert made_up not in letter["reason"]
    # And the log says what happened without it.
    assert any(entry["event"] == "record dead-lettered" for entry in logs)
    assert made_up not in repr(logs)
