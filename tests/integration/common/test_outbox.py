"""The transactional outbox: stored once, relayed in order, once, keyed by case, promptly."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import errors as kafka_errors
from lindung_common import (
    EventTooLarge,
    OutboxRelay,
    Runtime,
    add_to_outbox,
    create_pool,
    create_producer,
)
from lindung_contracts import (
    PROVIDER_RESPONSES,
    STRUCTURED_CONTENT_TYPE,
    Envelope,
    ProviderResponded,
    ResponseKind,
    decode,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


def _answer(case_id: uuid.UUID) -> Envelope[ProviderResponded]:
    payload = ProviderResponded(
        response_id=uuid.uuid4(),
        referral_id=uuid.uuid4(),
        case_id=case_id,
        provider_id="shelter-kl-1",
        response=ResponseKind.ACCEPTED,
        responded_at=NOW,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/test")


async def _queue(pool, *envelopes) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await add_to_outbox(conn, *envelopes)


def _mine(records, ids: set[uuid.UUID]) -> list:
    """The records carrying one of these event ids, in the order read."""
    return [r for r in records if decode(r.value, r.headers).id in ids]


async def test_relay_once_publishes_in_id_order_keyed_by_case_then_sends_nothing(
    schema, pool, producer, tail, outbox
):
    case_a, case_b = uuid.uuid4(), uuid.uuid4()
    events = [_answer(case_a), _answer(case_b), _answer(case_a), _answer(case_a)]
    for envelope in events:  # one transaction each: ids follow the order of commits here
        await _queue(pool, envelope)
    reader = await tail(PROVIDER_RESPONSES)
    relay = OutboxRelay(pool, producer, schema, batch_size=100)

    assert await relay.relay_once() == 4
    ids = {e.id for e in events}
    records = _mine(await reader.until(lambda rs: len(_mine(rs, ids)) >= 4), ids)

    by_case: dict[bytes, list[uuid.UUID]] = {}
    for record in records:
        assert dict(record.headers)["content-type"] == STRUCTURED_CONTENT_TYPE.encode()
        by_case.setdefault(record.key, []).append(decode(record.value, record.headers).id)
    # The key is the case id, so one case's events share a partition and keep their order.
    assert by_case == {
        str(case_a).encode(): [events[0].id, events[2].id, events[3].id],
        str(case_b).encode(): [events[1].id],
    }
    assert len({r.partition for r in records if r.key == str(case_a).encode()}) == 1

    rows = await outbox(pool)
    assert all(row["published_at"] is not None for row in rows)
    assert [row["event_id"] for row in rows] == [e.id for e in events]

    assert await relay.relay_once() == 0
    assert len(_mine(await reader.to_end(), ids)) == 4
    assert relay.published == 4
    assert (await relay.backlog())[0] == 0


async def test_a_batch_limit_splits_the_backlog_and_keeps_the_order(schema, pool, producer, tail):
    case_id = uuid.uuid4()
    events = [_answer(case_id) for _ in range(5)]
    await _queue(pool, *events)
    reader = await tail(PROVIDER_RESPONSES)
    relay = OutboxRelay(pool, producer, schema, batch_size=2)

    assert [await relay.relay_once() for _ in range(4)] == [2, 2, 1, 0]
    ids = {e.id for e in events}
    records = _mine(await reader.to_end(), ids)
    assert [decode(r.value).id for r in records] == [e.id for e in events]


async def test_the_same_event_queued_twice_is_stored_once(pool, outbox):
    envelope = _answer(uuid.uuid4())
    await _queue(pool, envelope, envelope)  # twice in one call
    await _queue(pool, envelope)  # and again in another transaction
    rows = await outbox(pool)
    assert [row["event_id"] for row in rows] == [envelope.id]
    assert rows[0]["event"] == envelope


async def test_an_event_queued_in_a_rolled_back_transaction_is_never_published(pool, outbox):
    class Undone(Exception):
        pass

    async def change_that_fails() -> None:
        async with pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, _answer(uuid.uuid4()))
            raise Undone

    with pytest.raises(Undone):
        await change_that_fails()
    assert await outbox(pool) == []


async def test_two_relays_on_one_schema_never_publish_a_row_twice(
    stack, schema, pool, producer, tail
):
    events = [_answer(uuid.uuid4()) for _ in range(60)]
    for start in range(0, len(events), 10):
        await _queue(pool, *events[start : start + 10])
    reader = await tail(PROVIDER_RESPONSES)
    # A second instance of the service: its own pool and producer, the same schema.
    other_pool = await create_pool(stack.database_url, schema)
    other_producer = create_producer(stack.kafka(), "test-common-relay-2")
    await other_producer.start()
    try:
        relays = [
            OutboxRelay(pool, producer, schema, batch_size=7),
            OutboxRelay(other_pool, other_producer, schema, batch_size=7),
        ]
        async with asyncio.timeout(60):
            while (await relays[0].backlog())[0]:
                await asyncio.gather(*(r.relay_once() for r in relays for _ in range(3)))
    finally:
        await other_producer.stop()
        await other_pool.close()

    assert sum(r.published for r in relays) == len(events)
    ids = {e.id for e in events}
    published = [decode(r.value).id for r in _mine(await reader.to_end(), ids)]
    assert sorted(published) == sorted(ids)  # each exactly once


async def test_the_running_relay_publishes_on_notify_without_waiting_for_the_poll(
    make_service, tail
):
    runtime = Runtime(make_service(outbox_poll_seconds=30))
    reader = await tail(PROVIDER_RESPONSES)
    await runtime.start()
    pool = runtime.service.db.pool
    try:
        first = _answer(uuid.uuid4())
        await _queue(pool, first)
        await reader.until(lambda rs: bool(_mine(rs, {first.id})), timeout=40)
        # The relay has published and gone back to waiting: only a NOTIFY wakes it in time.
        await asyncio.sleep(0.5)
        second = _answer(uuid.uuid4())
        await _queue(pool, second)
        await reader.until(lambda rs: bool(_mine(rs, {second.id})), timeout=10)
    finally:
        await runtime.stop()


async def _raw_row(pool, *, topic: str, value: bytes) -> uuid.UUID:
    """A row no writer would make (bypassing the checks), as an older release might have."""
    event_id = uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO outbox (event_id, event_type, topic, key, value)"
            " VALUES ($1, 'org.example.v1', $2, 'k', $3)",
            event_id,
            topic,
            value,
        )
    return event_id


@pytest.mark.parametrize(
    ("topic", "value", "reason"),
    [
        ("lindung.no-such-topic.v1", b"{}", "the topic does not exist on the broker"),
        (PROVIDER_RESPONSES.name, b"x" * 2_000_000, "the broker refuses it"),
    ],
    ids=["unknown-topic", "too-large"],
)
async def test_a_row_the_broker_refuses_for_good_is_set_aside_and_the_rows_behind_go_on(
    schema, pool, producer, tail, topic, value, reason
):
    reader = await tail(PROVIDER_RESPONSES)
    case = uuid.uuid4()  # one case: one partition, so the order read is the order sent
    before = _answer(case)
    await _queue(pool, before)
    stuck = await _raw_row(pool, topic=topic, value=value)
    behind = [_answer(case) for _ in range(3)]
    await _queue(pool, *behind)
    relay = OutboxRelay(pool, producer, schema, batch_size=500)

    async with asyncio.timeout(90):
        while (await relay.backlog())[0]:
            await relay.relay_once()

    wanted = {before.id} | {e.id for e in behind}
    published = await reader.until(lambda rs: len(_mine(rs, wanted)) == 4, timeout=30)
    assert [decode(r.value).id for r in _mine(published, wanted)] == [before.id] + [
        e.id for e in behind
    ]
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM outbox WHERE event_id = $1", stuck)
    assert row["published_at"] is None
    assert row["set_aside_at"] is not None
    assert row["set_aside_reason"].startswith(reason)
    assert await relay.backlog() == (0, 0.0, 1)


async def test_an_event_larger_than_the_broker_takes_is_refused_when_written(pool, outbox):
    envelope = _answer(uuid.uuid4())
    with pytest.raises(EventTooLarge, match="the limit is 200"):
        async with pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, envelope, max_event_bytes=200)
    assert await outbox(pool) == []


async def test_a_producer_that_gave_up_for_good_is_replaced_and_the_rows_go_out(
    stack, schema, pool, tail
):
    broken = create_producer(stack.kafka(), "test-common-relay-broken")
    await broken.start()
    # What aiokafka's sender does when the broker's sequence numbers no longer match its
    # own (batches expired while the broker was away): it stops, and fails every send.
    broken._message_accumulator.fail_all(kafka_errors.OutOfOrderSequenceNumber())
    renewed: list[Any] = []

    async def renew() -> Any:
        fresh = create_producer(stack.kafka(), "test-common-relay-renewed")
        await fresh.start()
        renewed.append(fresh)
        return fresh

    events = [_answer(uuid.uuid4()) for _ in range(5)]
    await _queue(pool, *events)
    reader = await tail(PROVIDER_RESPONSES)
    relay = OutboxRelay(pool, broken, schema, backoff_cap_seconds=0.2, renew=renew)
    running = asyncio.create_task(relay.run())
    try:
        ids = {e.id for e in events}
        published = await reader.until(lambda rs: len(_mine(rs, ids)) == len(ids), timeout=30)
        async with asyncio.timeout(10):
            while relay.failing_since is not None:
                await asyncio.sleep(0.05)
    finally:
        relay.stop()
        await asyncio.wait_for(running, timeout=15)
        await broken.stop()
        for fresh in renewed:
            await fresh.stop()

    assert len(renewed) == 1
    assert sorted(decode(r.value).id for r in _mine(published, ids)) == sorted(ids)
    assert (relay.last_failure, relay.broker_failure) == (None, None)
    assert await relay.backlog() == (0, 0.0, 0)
