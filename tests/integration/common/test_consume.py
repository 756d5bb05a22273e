"""The one consume path on the real PostgreSQL: batches, savepoints, failure classes, dead letters.

Each test delivers records to the `svc` service's consumer as its Faust agent would (a
batch of one partition's records) and checks the database: the effects, the outbox, the
dead letters. Nothing may be lost or doubled, whatever the handler does.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from lindung_common import Outcome, Record, RecordRefused
from lindung_contracts import (
    REFERRALS,
    Envelope,
    EventDeadLettered,
    FieldError,
    ReferralAccepted,
    ReferralDeclined,
    ServiceType,
    encode,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the conftest clock
CONSUMER = "test-consumer"  # as in conftest


def _accepted() -> Envelope[ReferralAccepted]:
    payload = ReferralAccepted(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=NOW,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")


def _record(envelope: Envelope | None = None, *, offset: int, value: bytes | None = None, key=None):
    if envelope is not None:
        encoded = encode(envelope)
        return Record(REFERRALS.name, 1, offset, encoded.key, encoded.value, encoded.headers)
    return Record(REFERRALS.name, 1, offset, key, value, ())


async def _effects(runtime) -> list[uuid.UUID]:
    async with runtime.service.db.pool.acquire() as conn:
        return [r["event_id"] for r in await conn.fetch("SELECT event_id FROM effects")]


async def _dead_letters(runtime) -> list[dict]:
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch('SELECT * FROM dead_letters ORDER BY "offset"')
    return [dict(r) for r in rows]


def _announced(rows) -> list[EventDeadLettered]:
    return [r["event"].data for r in rows if isinstance(r["event"].data, EventDeadLettered)]


async def _record_effect(work, envelope) -> None:
    await work.conn.execute("INSERT INTO effects (event_id) VALUES ($1)", envelope.id)


async def test_a_batch_is_applied_in_one_go_and_a_redelivery_changes_nothing(
    runtime, handlers, outbox
):
    handlers[ReferralAccepted] = _record_effect
    envelopes = [_accepted() for _ in range(5)]
    records = [_record(e, offset=10 + n) for n, e in enumerate(envelopes)]

    assert await runtime.deliver_records(*records) == [Outcome.PROCESSED] * 5
    # Kafka hands the same batch over again (the offsets were not committed before a crash).
    assert await runtime.deliver_records(*records) == [Outcome.DUPLICATE] * 5

    assert sorted(await _effects(runtime)) == sorted(e.id for e in envelopes)
    assert await outbox(runtime.service.db.pool) == []


async def test_one_refused_record_is_dead_lettered_and_the_rest_of_its_batch_commits(
    runtime, handlers, outbox
):
    refused = _accepted()

    async def handler(work, envelope) -> None:
        # The effect is written first: the savepoint must take it back for the refused one.
        await _record_effect(work, envelope)
        if envelope.id == refused.id:
            raise RecordRefused([FieldError(field="data.provider_id", reason="not in directory")])

    handlers[ReferralAccepted] = handler
    before, after = _accepted(), _accepted()
    records = [_record(e, offset=n) for n, e in enumerate([before, refused, after])]

    outcomes = await runtime.deliver_records(*records)

    assert outcomes == [Outcome.PROCESSED, Outcome.DEAD_LETTERED, Outcome.PROCESSED]
    assert sorted(await _effects(runtime)) == sorted([before.id, after.id])
    (letter,) = _announced(await outbox(runtime.service.db.pool))
    assert letter.reason == "refused: data.provider_id: not in directory"
    assert letter.failure_class == "deterministic"
    assert (letter.original_topic, letter.original_partition, letter.original_offset) == (
        REFERRALS.name,
        1,
        1,
    )
    assert letter.original_value_b64 == ""  # the bytes stay in the database, below
    assert letter.original_size == len(records[1].value)
    (kept,) = await _dead_letters(runtime)
    assert bytes(kept["value"]) == records[1].value
    assert kept["consumer"] == CONSUMER


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe not json", "not decodable: value: not JSON"),
        (b'{"type": "org.example.siti-aminah.v1"}', "not decodable: type: unknown event type"),
        (None, "not decodable: value: record has no value"),
        (b"[" * 10_000 + b"]" * 10_000, "not decodable: value: JSON nested too deeply"),
    ],
    ids=["garbage", "unknown-type", "tombstone", "deep"],
)
async def test_an_undecodable_record_is_dead_lettered_without_echoing_it_and_the_next_goes_on(
    runtime, handlers, outbox, value, reason
):
    handlers[ReferralAccepted] = _record_effect
    good = _accepted()
    outcomes = await runtime.deliver_records(
        _record(value=value, key=b"some-key", offset=99), _record(good, offset=100)
    )

    assert outcomes == [Outcome.DEAD_LETTERED, Outcome.PROCESSED]
    assert await _effects(runtime) == [good.id]
    (letter,) = _announced(await outbox(runtime.service.db.pool))
    assert letter.reason.startswith(reason)
    assert "siti-aminah" not in letter.reason
    assert letter.original_value_b64 == ""
    assert letter.original_size == len(value or b"")


async def test_a_value_over_the_limit_is_announced_by_size_and_hash_and_kept_whole(runtime, outbox):
    value = b'{"type": "org.example.unknown.v1", "pad": "' + b"x" * 900_000 + b'"}'
    await runtime.deliver_records(_record(value=value, offset=3))

    (letter,) = _announced(await outbox(runtime.service.db.pool))
    assert letter.original_value_b64 == ""
    assert letter.original_size == len(value)
    assert letter.original_sha256 == hashlib.sha256(value).hexdigest()
    (kept,) = await _dead_letters(runtime)
    assert bytes(kept["value"]) == value  # nothing lost: the replay has it


async def test_a_record_read_again_after_a_crash_is_announced_once(runtime, outbox):
    record = _record(value=b"garbage", offset=5)
    await runtime.deliver_records(record)
    await runtime.deliver_records(record)  # the offset was not committed: read again
    assert len(_announced(await outbox(runtime.service.db.pool))) == 1
    assert [r["times"] for r in await _dead_letters(runtime)] == [1]


async def test_the_agency_a_record_names_keys_its_dead_letter(runtime, outbox):
    # A case id key says nothing about the agency; `data.agency_id` does.
    value = b'{"type": "org.example.unknown.v1", "data": {"agency_id": "pdrm-kl"}}'
    await runtime.deliver_records(_record(value=value, key=str(uuid.uuid4()).encode(), offset=8))
    await runtime.deliver_records(
        _record(value=b"not json", key=str(uuid.uuid4()).encode(), offset=9)
    )
    named, unnamed = await outbox(runtime.service.db.pool)
    assert (named["key"], named["event"].data.agency_id) == (b"pdrm-kl", "pdrm-kl")
    assert (unnamed["key"], unnamed["event"].data.agency_id) == (REFERRALS.name.encode(), None)


async def test_an_unknown_failure_is_tried_a_bounded_number_of_times_then_dead_lettered(
    runtime, handlers, outbox
):
    attempts: list[uuid.UUID] = []

    async def always_fails(work, envelope) -> None:
        attempts.append(envelope.id)
        await _record_effect(work, envelope)
        raise OverflowError("date value out of range: 0001-01-01")

    handlers[ReferralAccepted] = always_fails
    envelope = _accepted()
    assert await runtime.deliver_records(_record(envelope, offset=1)) == [Outcome.DEAD_LETTERED]

    assert len(attempts) == 3  # consume_unknown_failure_tries
    assert await _effects(runtime) == []
    (letter,) = _announced(await outbox(runtime.service.db.pool))
    assert letter.reason == "handler failed (OverflowError)"
    assert letter.failure_class == "unknown"
    assert letter.dead_lettered_at == NOW


async def test_an_unknown_failure_that_clears_on_a_retry_is_processed(runtime, handlers, outbox):
    attempts: list[uuid.UUID] = []

    async def flaky(work, envelope) -> None:
        attempts.append(envelope.id)
        if len(attempts) == 1:
            raise KeyError("cache")
        await _record_effect(work, envelope)

    handlers[ReferralAccepted] = flaky
    envelope = _accepted()
    assert await runtime.deliver_records(_record(envelope, offset=1)) == [Outcome.PROCESSED]
    assert await _effects(runtime) == [envelope.id]
    assert await outbox(runtime.service.db.pool) == []


@pytest.mark.parametrize(
    "failure",
    [
        ConnectionResetError("database went away"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.ReadOnlySQLTransactionError("cannot execute INSERT in read-only"),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
    ],
    ids=["reset", "too-many-connections", "admin-shutdown", "read-only", "timeout", "deadlock"],
)
async def test_a_transient_failure_holds_the_batch_until_it_passes_and_never_dead_letters(
    runtime, handlers, outbox, failure
):
    attempts: list[uuid.UUID] = []

    async def failing_for_a_while(work, envelope) -> None:
        attempts.append(envelope.id)
        await _record_effect(work, envelope)
        if len(attempts) <= 6:  # more than the tries an unknown failure gets
            raise failure

    handlers[ReferralAccepted] = failing_for_a_while
    first, second = _accepted(), _accepted()
    delivering = asyncio.create_task(
        runtime.deliver_records(_record(first, offset=1), _record(second, offset=2))
    )
    path = runtime.paths[CONSUMER]
    async with asyncio.timeout(30):
        while path.state.retrying_since is None:
            await asyncio.sleep(0.01)
    assert str(failure.__class__.__name__) in (path.state.retry_reason or "")
    outcomes = await asyncio.wait_for(delivering, timeout=60)

    assert outcomes == [Outcome.PROCESSED, Outcome.PROCESSED]
    assert sorted(await _effects(runtime)) == sorted([first.id, second.id])  # once each
    assert await outbox(runtime.service.db.pool) == []
    assert path.state.retrying_since is None


async def test_an_event_too_large_for_the_broker_is_refused_when_written(runtime, handlers, outbox):
    async def emits_a_huge_event(work, envelope) -> None:
        # A payload whose size no model bounds: a dead letter carrying 1.1 MB of bytes.
        huge = EventDeadLettered(
            consumer=CONSUMER,
            reason="a copy too large to send",
            original_topic=REFERRALS.name,
            original_partition=0,
            original_offset=0,
            original_key_b64=None,
            original_value_b64="A" * 1_100_000,
            dead_lettered_at=NOW,
        )
        work.emit(huge)

    handlers[ReferralAccepted] = emits_a_huge_event
    outcomes = await runtime.deliver_records(_record(_accepted(), offset=4))

    assert outcomes == [Outcome.DEAD_LETTERED]
    (row,) = await outbox(runtime.service.db.pool)  # the dead letter only, no huge event
    assert "org.lindung.event.dead-lettered.v1 would be" in row["event"].data.reason
    assert "the limit is 1000000" in row["event"].data.reason


async def test_a_valid_event_without_a_handler_is_ignored(runtime, handlers, outbox):
    handlers[ReferralAccepted] = _record_effect
    declined = ReferralDeclined(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=NOW,
        reason="at_capacity",
    )
    envelope = Envelope.wrap(declined, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")
    assert await runtime.deliver_records(_record(envelope, offset=2)) == [Outcome.IGNORED]
    assert await outbox(runtime.service.db.pool) == []


async def test_a_failure_while_dead_lettering_is_retried_never_skipped(runtime, handlers, outbox):
    # The database refuses the first two dead-letter writes, as a failover would. A
    # sequence counts them: unlike a table, it is not rolled back with the refusal.
    async with runtime.service.db.pool.acquire() as conn:
        await conn.execute(
            "CREATE SEQUENCE refusals;"
            " CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN IF nextval('refusals') <= 2 THEN"
            "   RAISE EXCEPTION 'read-only' USING ERRCODE = '25006'; END IF;"
            " RETURN NEW; END $$;"
            " CREATE TRIGGER refuse BEFORE INSERT ON dead_letters"
            " FOR EACH ROW EXECUTE FUNCTION refuse();"
        )
    handlers[ReferralAccepted] = _record_effect
    good = _accepted()
    outcomes = await runtime.deliver_records(
        _record(value=b"garbage", offset=1), _record(good, offset=2)
    )

    assert outcomes == [Outcome.DEAD_LETTERED, Outcome.PROCESSED]
    assert await _effects(runtime) == [good.id]
    assert len(await _dead_letters(runtime)) == 1
    assert len(_announced(await outbox(runtime.service.db.pool))) == 1
    async with runtime.service.db.pool.acquire() as conn:
        # Refused twice, each time the whole batch retried; written the third time.
        assert await conn.fetchval("SELECT last_value FROM refusals") == 3
