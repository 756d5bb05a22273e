"""Dead letters: which agency, which bytes travel, which id, and the announcement."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest
from lindung_common import (
    DeadLetter,
    Events,
    Failure,
    FailureClass,
    Record,
    announce_dead_letter,
    original_identity,
)
from lindung_common.deadletters import agency_of, dead_letter_id
from lindung_contracts import (
    AGENCY_IDENTIFICATIONS,
    CASES,
    DEAD_LETTERS,
    REFERRALS,
    EventDeadLettered,
    decode,
    encode,
)
from lindung_contracts.generate import CONTRACTS_DIR

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
LETTER_ID = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
CASE_OPENED = (CONTRACTS_DIR / "examples" / "org.lindung.case.opened.v1.json").read_bytes()
CASE_ID = json.loads(CASE_OPENED)["data"]["case_id"]


class FixedClock:
    def now(self) -> datetime:
        return NOW


def record(
    value: bytes | None = b"\xff not json",
    *,
    key: bytes | None = b"some-key",
    topic: str = REFERRALS.name,
    partition: int = 2,
    offset: int = 41,
) -> Record:
    return Record(topic=topic, partition=partition, offset=offset, key=key, value=value)


def letter(
    rec: Record | None = None,
    *,
    reason: str = "not decodable: value: not JSON",
    agency_id: str | None = None,
) -> DeadLetter:
    return DeadLetter(
        consumer="lindung-router",
        record=rec or record(),
        failure=Failure(FailureClass.DETERMINISTIC, reason),
        at=NOW,
        event_id=LETTER_ID,
        agency_id=agency_id,
    )


def with_data(data: object) -> bytes:
    return json.dumps({"type": "org.example.unknown.v1", "data": data}).encode()


# agency_of

PDRM_KL_TOPIC = AGENCY_IDENTIFICATIONS.for_agency("pdrm-kl").name


def test_on_an_agency_s_own_topic_the_agency_is_the_topic_s():
    rec = record(b"\xff not json", key=None, topic=PDRM_KL_TOPIC)

    assert agency_of(rec) == "pdrm-kl"


def test_on_an_agency_s_own_topic_what_the_record_says_does_not_count():
    value = with_data({"agency_id": "jim-johor"})
    rec = record(value, key=b"jim-johor", topic=PDRM_KL_TOPIC)

    assert agency_of(rec) == "pdrm-kl"


def test_a_case_keyed_record_names_the_agency_of_its_data_not_the_case_id():
    rec = record(CASE_OPENED, key=CASE_ID.encode(), topic=CASES.name)

    assert agency_of(rec) == "pdrm-kl"


def test_a_case_id_key_is_not_taken_for_an_agency():
    assert agency_of(record(b"\xff not json", key=CASE_ID.encode(), topic=CASES.name)) is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="tombstone"),
        pytest.param(b"\xff\xfe not json", id="garbage"),
        pytest.param(b"[1, 2]", id="not-an-object"),
        pytest.param(with_data("pdrm-kl"), id="data-not-an-object"),
        pytest.param(with_data({"agency_id": "Siti Aminah"}), id="agency-not-a-slug"),
        pytest.param(with_data({"agency_id": 42}), id="agency-not-a-string"),
        pytest.param(
            with_data({"agency_id": "pdrm-kl", "pad": "x" * 1_100_000}), id="huge-not-parsed"
        ),
        pytest.param(b'{"data": ' * 10_000 + b"{}" + b"}" * 10_000, id="nested-10000-deep"),
    ],
)
def test_no_agency_when_neither_topic_nor_data_says_one(value):
    assert agency_of(record(value, key=b"pdrm-kl", topic=DEAD_LETTERS.name)) is None


# original_identity


def test_the_announcement_identifies_the_record_without_its_bytes():
    value = b'{"data": {"name": "Siti Aminah"}}'

    carried = original_identity(letter(record(value, key=b"Siti Aminah")))

    assert carried == {
        "original_key_b64": None,
        "original_value_b64": "",
        "original_size": len(value),
        "original_sha256": hashlib.sha256(value).hexdigest(),
    }


def test_a_tombstone_is_identified_as_empty():
    carried = original_identity(letter(record(None, key=None)))

    assert carried["original_size"] == 0
    assert carried["original_sha256"] == hashlib.sha256(b"").hexdigest()


# dead_letter_id


def test_the_id_follows_from_consumer_and_position_not_from_the_bytes():
    first = dead_letter_id("lindung-router", record(b"one"), 1)

    assert dead_letter_id("lindung-router", record(b"two"), 1) == first
    assert dead_letter_id("lindung-notifier", record(b"one"), 1) != first
    assert dead_letter_id("lindung-router", record(b"one", offset=42), 1) != first
    assert dead_letter_id("lindung-router", record(b"one", partition=3), 1) != first
    assert dead_letter_id("lindung-router", record(b"one", topic=CASES.name), 1) != first


def test_each_time_a_record_is_set_aside_again_gets_its_own_id():
    ids = {dead_letter_id("lindung-router", record(), times) for times in (1, 2, 3)}

    assert len(ids) == 3


# announce_dead_letter


def announce(dead: DeadLetter):
    return announce_dead_letter(dead, Events("router", clock=FixedClock(), ids=uuid.uuid4))


def test_the_announcement_is_a_valid_event_deadlettered_with_the_letters_id_and_time():
    rec = record(b"\xff\x00 not json", key=b"case-key")

    envelope = announce(letter(rec))

    data = envelope.data
    assert isinstance(data, EventDeadLettered)
    assert (envelope.id, envelope.time, envelope.source) == (LETTER_ID, NOW, "/lindung/router")
    assert (data.original_topic, data.original_partition, data.original_offset) == (
        REFERRALS.name,
        2,
        41,
    )
    assert data.consumer == "lindung-router"
    assert data.reason == "not decodable: value: not JSON"
    assert data.failure_class == "deterministic"
    assert data.dead_lettered_at == NOW
    assert data.original_value_b64 == ""
    assert data.original_size == len(b"\xff\x00 not json")
    encoded = encode(envelope)
    assert encoded.topic == DEAD_LETTERS.name
    assert decode(encoded.value, encoded.headers) == envelope


def test_the_announcement_is_keyed_by_the_agency_when_known():
    envelope = announce(letter(agency_id="pdrm-kl"))

    assert envelope.data.agency_id == "pdrm-kl"
    assert encode(envelope).key == b"pdrm-kl"


def test_the_announcement_is_keyed_by_the_topic_when_no_agency_is_known():
    envelope = announce(letter(agency_id=None))

    assert envelope.data.agency_id is None
    assert encode(envelope).key == REFERRALS.name.encode()


def test_a_very_long_reason_is_cut_so_the_announcement_stays_small():
    envelope = announce(letter(reason="x" * 10_000))

    assert envelope.data.reason == "x" * 2000
