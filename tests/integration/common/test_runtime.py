"""`Runtime.process`, the one consume path: decode, route, retry, dead-letter, never twice."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest
from lindung_common import Record, first_delivery
from lindung_contracts import (
    REFERRALS,
    Envelope,
    EventDeadLettered,
    ReferralAccepted,
    ReferralDeclined,
    ServiceType,
    encode,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
CONSUMER = "test-consumer"


def _record(payload, *, offset: int = 7) -> Record:
    envelope = Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")
    encoded = encode(envelope)
    return Record(
        topic=encoded.topic,
        partition=1,
        offset=offset,
        key=encoded.key,
        value=encoded.value,
        headers=encoded.headers,
    )


def _accepted() -> ReferralAccepted:
    return ReferralAccepted(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=NOW,
    )


async def _effects(runtime) -> list[uuid.UUID]:
    async with runtime.pool.acquire() as conn:
        return [r["event_id"] for r in await conn.fetch("SELECT event_id FROM effects")]


def _idempotent_handler(runtime, calls: list[uuid.UUID], *, fail_after_record: int = 0):
    """Applies an event once: first_delivery and the effect in one transaction."""
    failures = {"left": fail_after_record}

    async def handle(envelope) -> None:
        calls.append(envelope.id)
        async with runtime.pool.acquire() as conn, conn.transaction():
            if not await first_delivery(conn, CONSUMER, envelope.id):
                return
            await conn.execute("INSERT INTO effects (event_id) VALUES ($1)", envelope.id)
            if failures["left"]:
                failures["left"] -= 1
                raise ValueError("failed after recording the delivery")

    return handle


async def test_first_delivery_is_true_once_per_consumer_and_event(runtime):
    event_id = uuid.uuid4()
    async with runtime.pool.acquire() as conn:
        assert await first_delivery(conn, CONSUMER, event_id) is True
        assert await first_delivery(conn, CONSUMER, event_id) is False
        # Another consumer of the same event keeps its own record.
        assert await first_delivery(conn, "another-consumer", event_id) is True
        assert await first_delivery(conn, CONSUMER, uuid.uuid4()) is True


async def test_a_redelivered_event_is_applied_once(runtime, outbox):
    record = _record(_accepted())
    calls: list[uuid.UUID] = []
    handlers = {ReferralAccepted: _idempotent_handler(runtime, calls)}

    await runtime.process(CONSUMER, record, handlers)
    await runtime.process(CONSUMER, record, handlers)  # Kafka delivers it again

    assert len(calls) == 2
    assert await _effects(runtime) == [calls[0]]
    assert await outbox(runtime.pool) == []


async def test_a_failure_after_first_delivery_rolls_it_back_so_the_retry_applies_it(
    runtime, outbox
):
    record = _record(_accepted())
    calls: list[uuid.UUID] = []
    handlers = {ReferralAccepted: _idempotent_handler(runtime, calls, fail_after_record=1)}

    await runtime.process(CONSUMER, record, handlers)

    assert len(calls) == 2  # failed once, retried once
    assert await _effects(runtime) == [calls[0]]
    assert await outbox(runtime.pool) == []  # recovered: nothing dead-lettered


@pytest.mark.parametrize(
    ("value", "reason_start"),
    [
        (b"\xff\xfe not json", "undecodable: value: not JSON"),
        (b'{"type": "org.example.unknown.v1"}', "undecodable: type: unknown event type"),
        (None, "undecodable: value: record has no value"),
    ],
    ids=["garbage", "unknown-type", "tombstone"],
)
async def test_an_undecodable_record_is_dead_lettered_with_its_bytes_and_reason(
    runtime, outbox, value, reason_start
):
    record = Record(
        topic=REFERRALS.name, partition=2, offset=99, key=b"some-key", value=value, headers=()
    )
    called: list[object] = []

    async def handler(envelope) -> None:
        called.append(envelope)

    await runtime.process(CONSUMER, record, {ReferralAccepted: handler})

    assert called == []
    rows = await outbox(runtime.pool)
    assert len(rows) == 1
    letter = rows[0]["event"].data
    assert isinstance(letter, EventDeadLettered)
    assert letter.reason.startswith(reason_start)
    assert letter.consumer == CONSUMER
    assert base64.b64decode(letter.original_value_b64) == (value or b"")
    assert base64.b64decode(letter.original_key_b64 or "") == b"some-key"
    assert (letter.original_topic, letter.original_partition, letter.original_offset) == (
        REFERRALS.name,
        2,
        99,
    )
    assert rows[0]["topic"] == "lindung.dead-letters.v1"


async def test_a_valid_event_without_a_handler_is_skipped(runtime, outbox):
    called: list[object] = []

    async def handler(envelope) -> None:
        called.append(envelope)

    declined = ReferralDeclined(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=NOW,
        reason="full",
    )
    await runtime.process(CONSUMER, _record(declined), {ReferralAccepted: handler})

    assert called == []
    assert await outbox(runtime.pool) == []


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_three_attempts(runtime, outbox):
    record = _record(_accepted(), offset=123)
    attempts: list[object] = []

    async def always_fails(envelope) -> None:
        attempts.append(envelope)
        raise ValueError("service table refuses this referral")

    await runtime.process(CONSUMER, record, {ReferralAccepted: always_fails})

    assert len(attempts) == 3
    rows = await outbox(runtime.pool)
    assert len(rows) == 1
    letter = rows[0]["event"].data
    assert isinstance(letter, EventDeadLettered)
    assert letter.reason == "ValueError: service table refuses this referral"
    assert base64.b64decode(letter.original_value_b64) == record.value
    assert letter.original_offset == 123
    assert letter.dead_lettered_at == NOW  # the runtime's clock


async def test_a_passing_failure_is_retried_until_it_succeeds_without_a_dead_letter(
    runtime, outbox
):
    attempts: list[object] = []

    async def flaky(envelope) -> None:
        attempts.append(envelope)
        if len(attempts) <= 4:  # more than the three allowed for other failures
            raise ConnectionResetError("database went away")

    await runtime.process(CONSUMER, _record(_accepted()), {ReferralAccepted: flaky})

    assert len(attempts) == 5
    assert await outbox(runtime.pool) == []


async def test_a_redelivered_undecodable_record_is_dead_lettered_once(runtime, outbox):
    record = Record(
        topic=REFERRALS.name, partition=0, offset=5, key=None, value=b"garbage", headers=()
    )
    await runtime.process(CONSUMER, record, {})
    await runtime.process(CONSUMER, record, {})  # the offset was not committed: read again
    assert len(await outbox(runtime.pool)) == 1
