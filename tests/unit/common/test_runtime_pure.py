"""The parts of the shared runtime that need no connection: envelopes, dead letters, names."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lindung_common import (
    Record,
    Runtime,
    ServiceSettings,
    SystemClock,
    apply_migrations,
    create_pool,
    dead_letter,
    new_id,
)
from lindung_contracts import (
    DEAD_LETTERS,
    EventDeadLettered,
    ProviderResponded,
    ResponseKind,
    decode,
    encode,
)

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
EVENT_ID = uuid.UUID("00000000-0000-4000-8000-0000000000e1")


class FixedClock:
    def now(self) -> datetime:
        return NOW


def _runtime(schema: str = "svc") -> Runtime:
    settings = ServiceSettings(
        kafka_bootstrap_servers="127.0.0.1:1",
        database_url="postgresql://nobody@127.0.0.1:1/none",
        http_port=0,
    )
    return Runtime(
        service="svc",
        schema=schema,
        settings=settings,
        migrations=Path("unused"),
        clock=FixedClock(),
        ids=lambda: EVENT_ID,
    )


def _answer() -> ProviderResponded:
    return ProviderResponded(
        response_id=uuid.uuid4(),
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        response=ResponseKind.ACCEPTED,
        responded_at=NOW,
    )


def test_the_runtime_envelope_takes_its_id_and_time_from_the_ports():
    payload = _answer()
    envelope = _runtime().envelope(payload)
    assert envelope.id == EVENT_ID
    assert envelope.time == NOW
    assert envelope.source == "/lindung/svc"
    assert envelope.type == "org.lindung.provider.responded.v1"
    assert envelope.partitionkey == str(payload.case_id)
    assert envelope.data == payload


def test_an_envelope_survives_the_codec():
    envelope = _runtime().envelope(_answer())
    record = encode(envelope)
    assert decode(record.value, record.headers) == envelope


def test_the_pool_is_not_there_before_start():
    with pytest.raises(RuntimeError, match="not started"):
        _ = _runtime().pool


def test_a_dead_letter_keeps_the_original_bytes_and_the_reason():
    event = dead_letter(
        consumer="lindung-router",
        reason="undecodable: value: not JSON",
        topic="lindung.cases.v1",
        partition=2,
        offset=41,
        key=b"case-key",
        value=b"\xff\x00 not json",
        event_id=EVENT_ID,
        now=NOW,
        source="/lindung/router",
    )
    letter = event.data
    assert isinstance(letter, EventDeadLettered)
    assert base64.b64decode(letter.original_value_b64) == b"\xff\x00 not json"
    assert base64.b64decode(letter.original_key_b64 or "") == b"case-key"
    assert (letter.original_topic, letter.original_partition, letter.original_offset) == (
        "lindung.cases.v1",
        2,
        41,
    )
    assert letter.reason == "undecodable: value: not JSON"
    assert letter.consumer == "lindung-router"
    assert (event.id, event.time, event.source) == (EVENT_ID, NOW, "/lindung/router")
    record = encode(event)
    assert record.topic == DEAD_LETTERS.name
    assert record.key == b"lindung.cases.v1"


def test_a_dead_letter_of_a_tombstone_has_no_key_and_an_empty_value():
    letter = dead_letter(
        consumer="c",
        reason="r",
        topic="t",
        partition=0,
        offset=0,
        key=None,
        value=None,
        event_id=EVENT_ID,
        now=NOW,
        source="/lindung/x",
    ).data
    assert letter.original_key_b64 is None
    assert letter.original_value_b64 == ""


def test_a_very_long_reason_is_cut_so_the_dead_letter_stays_small():
    letter = dead_letter(
        consumer="c",
        reason="x" * 10_000,
        topic="t",
        partition=0,
        offset=0,
        key=None,
        value=b"v",
        event_id=EVENT_ID,
        now=NOW,
        source="/lindung/x",
    ).data
    assert len(letter.reason) == 2000


def test_the_record_has_no_headers_unless_given():
    assert Record(topic="t", partition=0, offset=1, key=None, value=b"v").headers == ()


def test_the_system_clock_is_timezone_aware_and_ids_are_unique():
    assert SystemClock().now().utcoffset() is not None
    assert len({new_id() for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    "schema", ["Intake", "intake; DROP TABLE outbox", "1intake", "in-take", "", "a" * 64]
)
async def test_only_plain_schema_names_are_used_in_sql(schema):
    # Refused before any connection is attempted: the URL points nowhere.
    with pytest.raises(ValueError, match="schema"):
        await create_pool("postgresql://nobody@127.0.0.1:1/none", schema)
    with pytest.raises(ValueError, match="schema"):
        await apply_migrations(None, schema)  # type: ignore[arg-type]


def test_settings_are_frozen_and_hide_the_database_url():
    settings = _runtime().settings
    assert "nobody" not in repr(settings)
    with pytest.raises(ValueError, match="frozen"):
        settings.http_port = 1  # type: ignore[misc]
