"""Outbox relay throughput against a raw aiokafka producer, measured in the same run.

    .venv/bin/python bench/outbox_relay.py [--events 20000]

Starts the real broker and PostgreSQL (or uses KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL),
then publishes the same CaseOpened events twice: once straight from an idempotent aiokafka
producer (the baseline: what Kafka alone costs), once through the transactional outbox
(insert in PostgreSQL, relay, mark published). Prints events/s for both and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lindung_common import OutboxRelay, add_to_outbox, apply_migrations, create_pool
from lindung_common.kafka import create_producer
from lindung_contracts import CaseOpened, ChildProfile, Envelope, Situation, encode
from lindung_devstack.stack import Stack

if TYPE_CHECKING:
    from collections.abc import Mapping


def events(count: int) -> list[Envelope[CaseOpened]]:
    now = datetime.now(UTC)
    child = ChildProfile(age_years=12, gender="female", nationality_status="refugee")
    situation = Situation(location="community", state="selangor")
    return [
        Envelope.wrap(
            CaseOpened(
                case_id=uuid.uuid4(),
                agency_id="pdrm-selangor",
                identified_at=now,
                opened_at=now,
                child=child,
                situation=situation,
            ),
            event_id=uuid.uuid4(),
            time=now,
            source="/bench",
        )
        for _ in range(count)
    ]


async def raw(kafka: Mapping[str, Any], batch: list[Envelope[CaseOpened]]) -> float:
    producer = create_producer(kafka, "bench-raw")
    await producer.start()
    began = time.perf_counter()
    pending = []
    for envelope in batch:
        record = encode(envelope)
        pending.append(
            await producer.send(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
        )
    await asyncio.gather(*pending)
    elapsed = time.perf_counter() - began
    await producer.stop()
    return elapsed


async def through_outbox(
    kafka: Mapping[str, Any], dsn: str, batch: list[Envelope[CaseOpened]]
) -> float:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(dsn, schema)
    await apply_migrations(pool, schema)  # the shared outbox table only
    producer = create_producer(kafka, "bench-outbox")
    await producer.start()
    relay = OutboxRelay(pool, producer, schema, batch_size=500)
    began = time.perf_counter()
    # Writers commit in transactions of 100, as a busy service would.
    for start in range(0, len(batch), 100):
        async with pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, *batch[start : start + 100])
    while await relay.relay_once():
        pass
    elapsed = time.perf_counter() - began
    await producer.stop()
    await pool.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    with Stack() as stack:
        asyncio.run(raw(stack.kafka(), events(500)))  # warm-up
        base = asyncio.run(raw(stack.kafka(), events(args.events)))
        outbox = asyncio.run(through_outbox(stack.kafka(), stack.database_url, events(args.events)))
    print(f"events                     {args.events}")
    print(f"raw aiokafka (baseline)    {args.events / base:10.0f} events/s  ({base:.2f} s)")
    print(f"transactional outbox       {args.events / outbox:10.0f} events/s  ({outbox:.2f} s)")
    print(f"outbox / baseline          {base / outbox:10.2f}")


if __name__ == "__main__":
    main()
