"""/health/ready tells the truth: a stuck consumer or a backed-up outbox is not ready,
unless the service takes work without them (then it is ready and says it is degraded)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from lindung_common import Concern, Record, Runtime, add_to_outbox
from lindung_contracts import (
    REFERRALS,
    Envelope,
    ReferralAccepted,
    ServiceType,
    decode,
    encode,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
CONSUMER = "test-consumer"  # as in conftest


def _record(offset: int) -> Record:
    payload = ReferralAccepted(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=NOW,
    )
    envelope = Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")
    encoded = encode(envelope)
    return Record(REFERRALS.name, 0, offset, encoded.key, encoded.value, encoded.headers)


async def _ready(http: httpx.AsyncClient) -> tuple[int, dict]:
    response = await http.get("/health/ready")
    return response.status_code, response.json()


@pytest.fixture
async def started(make_service, handlers):
    runtime = Runtime(make_service(health_stuck_after_seconds=0.5, health_outbox_max_age_seconds=1))
    await runtime.start()
    # What the worker's agent does when it starts reading.
    runtime.paths[CONSUMER].state.running = True
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        try:
            yield runtime, http
        finally:
            await runtime.stop()


async def test_a_consumer_retrying_a_passing_failure_too_long_is_not_ready_until_it_passes(
    started, handlers
):
    runtime, http = started
    database_back = asyncio.Event()

    async def handler(work, envelope) -> None:
        if not database_back.is_set():
            raise ConnectionRefusedError("database gone")

    handlers[ReferralAccepted] = handler
    assert (await _ready(http))[0] == 200
    delivering = asyncio.create_task(runtime.deliver_records(_record(1)))
    async with asyncio.timeout(30):
        while (status := await _ready(http))[0] == 200:
            await asyncio.sleep(0.1)
    code, body = status
    assert code == 503
    (problem,) = body["problems"]
    assert problem.startswith(f"consumer {CONSUMER} has retried a passing failure for")
    assert "ConnectionRefusedError" in problem
    assert f"{REFERRALS.name}/0/1" in problem

    database_back.set()
    await asyncio.wait_for(delivering, timeout=30)
    code, body = await _ready(http)
    assert (code, body["problems"]) == (200, [])


async def test_an_outbox_that_does_not_drain_is_not_ready_and_says_how_long(started):
    runtime, http = started
    pool = runtime.service.db.pool
    async with pool.acquire() as conn:
        # A real event: once released it goes to a topic other tests read.
        await add_to_outbox(conn, decode(_record(9).value))
    async with pool.acquire() as holder, holder.transaction():
        # Writers of the outbox wait: the relay can send the row but not mark it sent.
        await holder.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
        await asyncio.sleep(1.5)
        code, body = await _ready(http)
        assert code == 503
        assert body["outbox"]["waiting"] == 1
        assert any(p.startswith("outbox: the oldest event has waited") for p in body["problems"])
    async with asyncio.timeout(30):
        while (await _ready(http))[0] != 200:
            await asyncio.sleep(0.1)


async def test_metrics_count_what_the_consumers_did(started, handlers):
    runtime, http = started

    async def handler(work, envelope) -> None:
        return None

    handlers[ReferralAccepted] = handler
    await runtime.deliver_records(_record(1), _record(2))
    await runtime.deliver_records(Record(REFERRALS.name, 0, 3, None, b"junk", ()))
    text = (await http.get("/metrics")).text
    processed = (
        f'lindung_records_processed_total{{consumer="{CONSUMER}",outcome="processed",'
        f'service="svc",topic="{REFERRALS.name}"}}'
    )
    assert processed in text
    assert "lindung_records_dead_lettered_total{" in text
    assert 'lindung_outbox_backlog{service="svc"}' in text
    assert "lindung_handler_seconds_bucket{" in text


async def test_a_service_that_works_without_its_outbox_draining_stays_ready_and_says_degraded(
    make_service,
):
    # Intake's kind: identifications wait in the outbox while the broker is away.
    service = replace(
        make_service(health_outbox_max_age_seconds=1),
        degrade_only=frozenset({Concern.BROKER, Concern.OUTBOX, Concern.CONSUMER}),
    )
    runtime = Runtime(service)
    await runtime.start()
    runtime.paths[CONSUMER].state.running = True
    transport = httpx.ASGITransport(app=runtime.web())
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
            pool = runtime.service.db.pool
            async with pool.acquire() as conn:
                await add_to_outbox(conn, decode(_record(9).value))
            async with pool.acquire() as holder, holder.transaction():
                await holder.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
                await asyncio.sleep(1.5)
                code, body = await _ready(http)
                metrics = (await http.get("/metrics")).text
            assert code == 200
            assert (body["status"], body["problems"]) == ("degraded", [])
            assert body["degraded"][0].startswith("outbox: the oldest event has waited")
            assert 'lindung_degraded{reason="outbox",service="svc"} 1.0' in metrics
            assert 'lindung_ready{service="svc"} 1.0' in metrics
            async with asyncio.timeout(30):
                while (await _ready(http))[1]["status"] != "ready":
                    await asyncio.sleep(0.1)
            metrics = (await http.get("/metrics")).text
            assert 'lindung_degraded{reason="outbox",service="svc"} 0.0' in metrics
    finally:
        await runtime.stop()
