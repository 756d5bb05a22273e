"""Faults caused for real against the four services as processes, checked from the databases.

The module has a stack of its own (broker and PostgreSQL), so stopping its database or
reading its topics from the start touches nothing else. Each test checks that every
identification accepted went all the way through (a case in intake and in the router,
each referral with one deadline, one delivery to its provider, one projection in intake)
and that nothing was dead-lettered that should not have been.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from lindung_contracts import (
    AGENCY_IDENTIFICATIONS,
    CASES,
    DEAD_LETTERS,
    DEADLINES,
    IDENTIFICATION_REJECTIONS,
    PROVIDER_RESPONSES,
    REFERRALS,
    STRUCTURED_CONTENT_TYPE,
    decode,
)
from lindung_devstack.stack import Stack

if TYPE_CHECKING:
    from lindung_devstack.services import ServiceSet
    from lindung_devstack.world import StandIn

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

_spec = importlib.util.spec_from_file_location("faults", Path(__file__).with_name("faults.py"))
assert _spec is not None
assert _spec.loader is not None
faults = importlib.util.module_from_spec(_spec)
sys.modules["faults"] = faults
_spec.loader.exec_module(faults)

EXAMPLES = Path(__file__).parents[2] / "contracts" / "examples"
# The agency's own topics: its identifications (the Kafka door) and its rejections.
AGENCY_TOPIC = AGENCY_IDENTIFICATIONS.for_agency(faults.AGENCY).name
REJECTIONS_TOPIC = IDENTIFICATION_REJECTIONS.for_agency(faults.AGENCY).name
HEADERS = [("content-type", STRUCTURED_CONTENT_TYPE.encode())]


class System:
    """The stack, the four services, the stand-in providers, the agency key."""

    def __init__(self, stack: Stack, services: ServiceSet, standin: StandIn, key: str) -> None:
        self.stack = stack
        self.services = services
        self.standin = standin
        self.agency_key = key

    @property
    def urls(self) -> dict[str, str]:
        return {name: p.url for name, p in self.services.processes.items()}

    def flow(self, rate: float) -> Any:
        return faults.Flow(self.services["intake"].url, self.agency_key, rate)


@pytest.fixture(scope="module")
def fault_stack(scratch):
    # Not under pytest's own temporary folder: PostgreSQL runs as another user there.
    with Stack(agencies=(faults.AGENCY,), short_lived=True) as running:
        scratch.append(running.workdir)
        yield running


@pytest.fixture(scope="module")
async def system(fault_stack, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fault-world")
    async with faults.running(fault_stack, workdir) as (services, standin, key):
        yield System(fault_stack, services, standin, key)


async def _went_through(system: System, flow: Any) -> dict[str, Any]:
    facts = await faults.settled(system.stack.database_url, set(flow.accepted.values()))
    assert facts["intake_cases"] == facts["router_cases"] == len(flow.accepted)
    assert facts["deadlines"] == facts["deliveries"] == facts["access"] == facts["referrals"]
    return facts


async def test_the_database_stopped_for_ten_seconds_loses_and_doubles_nothing(system):
    readiness = faults.Readiness(system.urls)
    readiness.start()
    flow = system.flow(rate=5)
    flow.start()
    sla_log = system.services["sla-monitor"].log_file
    logged_before = sla_log.read_text().count("timer tick failed")
    try:
        await asyncio.sleep(3)
        await asyncio.to_thread(system.stack.postgres.stop)
        await asyncio.sleep(10)
        await asyncio.to_thread(system.stack.postgres.start)
        await asyncio.sleep(3)
        await flow.stop()
        facts = await _went_through(system, flow)
        await faults.wait_all_ready(system.urls)
    finally:
        await readiness.stop()

    assert facts["dead_letters"] == dict.fromkeys(faults.SCHEMAS, 0)
    assert flow.refusals, "intake kept accepting with its database gone"
    # The deadline timer backs off while its database is away: a line, not hundreds.
    assert sla_log.read_text().count("timer tick failed") - logged_before <= 3
    for name, codes in readiness.seen.items():
        assert 503 in codes or 0 in codes, f"{name} never said it was not ready"
        assert codes[-1] == 200, f"{name} did not become ready again"


@pytest.mark.parametrize("name", ["router", "notifier", "sla-monitor", "intake"])
async def test_a_service_killed_mid_flow_loses_and_doubles_nothing(system, name):
    flow = system.flow(rate=15)
    flow.start()
    try:
        await asyncio.sleep(3)
        process = system.services[name]
        assert await asyncio.to_thread(process.kill) == -9
        await asyncio.sleep(1)
        await asyncio.to_thread(process.start)
        await asyncio.to_thread(process.wait_healthy)
        await asyncio.sleep(2)
    finally:
        await flow.stop()
    facts = await _went_through(system, flow)
    assert facts["dead_letters"] == dict.fromkeys(faults.SCHEMAS, 0)


def _example(kind: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"org.lindung.{kind}.v1.json").read_text())


def _valid(topic: str) -> tuple[dict[str, Any], str]:
    """A valid record for a topic, with fresh ids; and what proves it was handled."""
    case_id, referral_id, event_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    fresh = {"id": event_id, "partitionkey": case_id, "subject": case_id}
    if topic == AGENCY_TOPIC:
        event = _example("identification.reported")
        reference = f"PDRM/SEL/POISON/{uuid.uuid4().hex[:8]}"
        event |= {"id": event_id, "partitionkey": faults.AGENCY, "subject": faults.AGENCY}
        event["data"] |= {"agency_id": faults.AGENCY, "agency_reference": reference}
        event["data"]["identification"]["agency_reference"] = reference
        recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        event["data"]["identification"]["identified_at"] = recent
        event["data"]["identification"]["situation"]["sexual_violence_at"] = None
        return event, reference
    kind = {
        CASES.name: "case.opened",
        PROVIDER_RESPONSES.name: "provider.responded",
        REFERRALS.name: "referral.requested",
        DEADLINES.name: "deadline.warning",
    }[topic]
    event = _example(kind) | fresh
    event["data"] |= {"case_id": case_id}
    if "referral_id" in event["data"]:
        event["data"]["referral_id"] = referral_id
    return event, event_id


def _poisons(topic: str) -> dict[str, tuple[bytes, list[tuple[str, bytes | None]]]]:
    year_one, _ = _valid(topic)
    year_one["time"] = "0001-01-01T00:00:00+05:00"
    huge = b'{"pad": "' + b"x" * 999_000 + b'"}'
    unknown = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "org.example.unknown.v1"}
    return {
        "not-json": (b"\x00 not json", HEADERS),
        "null-header": (b"{}", [("ce_type", None)]),
        "deep": (b"[" * 10_000 + b"]" * 10_000, HEADERS),
        "year-one": (json.dumps(year_one).encode(), HEADERS),
        "near-limit": (huge, HEADERS),
        "unknown-type": (json.dumps(unknown).encode(), HEADERS),
    }


# Each consumer and the topics it reads (REFERRALS is read by three).
CONSUMERS = {
    ("intake-door", AGENCY_TOPIC): "intake",
    ("intake", REFERRALS.name): "intake",
    ("router", CASES.name): "router",
    ("router", PROVIDER_RESPONSES.name): "router",
    ("notifier", REFERRALS.name): "notifier",
    ("notifier", DEADLINES.name): "notifier",
    ("sla-monitor", REFERRALS.name): "sla_monitor",
}


async def test_every_poison_on_every_consumer_is_dead_lettered_and_the_next_record_handled(
    system,
):
    topics = sorted({topic for _, topic in CONSUMERS})
    positions: dict[str, dict[str, tuple[int, int]]] = {}
    proofs: dict[str, str] = {}
    readiness = faults.Readiness(system.urls)
    readiness.start()
    producer = AIOKafkaProducer(**system.stack.kafka())
    await producer.start()
    try:
        for topic in topics:
            key = faults.AGENCY.encode() if topic == AGENCY_TOPIC else b"poison"
            positions[topic] = {}
            for name, (value, headers) in _poisons(topic).items():
                meta = await producer.send_and_wait(
                    topic, value=value, key=key, headers=headers, partition=0
                )
                positions[topic][name] = (meta.partition, meta.offset)
            valid, proofs[topic] = _valid(topic)
            await producer.send_and_wait(
                topic, value=json.dumps(valid).encode(), key=key, headers=HEADERS, partition=0
            )
        letters = await _until_dead_lettered(system, positions)
        await _until_handled(system, proofs)
    finally:
        await producer.stop()
        await readiness.stop()

    for (consumer, topic), schema in CONSUMERS.items():
        mine = {
            (r["partition"], r["offset"]): r
            for r in letters[schema]
            if (r["consumer"], r["topic"]) == (consumer, topic)
        }
        for name, position in positions[topic].items():
            letter = mine[position]
            assert letter["reason"], (consumer, name)
            assert letter["times"] == 1, (consumer, name)
    for name, codes in readiness.seen.items():
        assert set(codes) == {200}, f"{name} was not ready throughout: {sorted(set(codes))}"
    # Every dead letter was also announced on Kafka, for people to act on.
    await _announced(system, {(c, t, *p) for (c, t) in CONSUMERS for p in positions[t].values()})


async def _until_dead_lettered(system, positions, *, timeout: float = 120) -> dict[str, list]:
    expected = sum(len(positions[topic]) for _, topic in CONSUMERS)
    conn = await asyncpg.connect(system.stack.database_url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                letters = {
                    schema: await conn.fetch(
                        f'SELECT consumer, topic, partition, "offset", reason, times'
                        f" FROM {schema}.dead_letters"
                    )
                    for schema in set(CONSUMERS.values())
                }
                wanted = {(c, t, *p) for (c, t) in CONSUMERS for p in positions[t].values()}
                found = {
                    (r["consumer"], r["topic"], r["partition"], r["offset"])
                    for rows in letters.values()
                    for r in rows
                }
                if wanted <= found:
                    assert len(wanted) == expected
                    return letters
                await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def _until_handled(system, proofs: dict[str, str], *, timeout: float = 120) -> None:
    conn = await asyncpg.connect(system.stack.database_url)
    checks = {
        AGENCY_TOPIC: [("SELECT count(*) FROM intake.cases WHERE agency_reference = $1", str)],
        CASES.name: [
            ("SELECT count(*) FROM router.processed_events WHERE event_id = $1", uuid.UUID)
        ],
        PROVIDER_RESPONSES.name: [
            ("SELECT count(*) FROM router.processed_events WHERE event_id = $1", uuid.UUID)
        ],
        REFERRALS.name: [
            ("SELECT count(*) FROM notifier.processed_events WHERE event_id = $1", uuid.UUID),
            ("SELECT count(*) FROM sla_monitor.processed_events WHERE event_id = $1", uuid.UUID),
            ("SELECT count(*) FROM intake.processed_events WHERE event_id = $1", uuid.UUID),
        ],
        DEADLINES.name: [
            ("SELECT count(*) FROM notifier.processed_events WHERE event_id = $1", uuid.UUID)
        ],
    }
    try:
        async with asyncio.timeout(timeout):
            for topic, proof in proofs.items():
                for query, kind in checks[topic]:
                    while await conn.fetchval(query, kind(proof)) != 1:
                        await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def _announced(system, wanted: set[tuple[str, str, int, int]], *, timeout: float = 60):
    """Read the dead-letter topics until every wanted (consumer, topic, partition, offset)."""
    found: set[tuple[str, str, int, int]] = set()
    consumer = AIOKafkaConsumer(
        DEAD_LETTERS.name,
        REJECTIONS_TOPIC,
        **system.stack.kafka(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            while not wanted <= found:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        data = decode(record.value, record.headers).data
                        who = getattr(data, "consumer", "intake-door")
                        found.add(
                            (who, data.original_topic, data.original_partition,
                             data.original_offset)
                        )  # fmt: skip
    finally:
        await consumer.stop()
    return found
