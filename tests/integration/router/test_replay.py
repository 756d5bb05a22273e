"""`python -m lindung_router replay` over a recorded week: its differences; nothing sent or kept.

The cases are published on the real cases topic and routed by the router on the real
PostgreSQL (its clock at each case's opening); the replay then reads both.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from lindung_common import Runtime
from lindung_contracts import (
    CaseOpened,
    ChildProfile,
    Envelope,
    Gender,
    Location,
    MalaysianState,
    NationalityStatus,
    ProviderResponded,
    ResponseKind,
    Situation,
    encode,
)
from lindung_router.bootstrap import build
from lindung_router.domain import Directory
from lindung_router.hsds import catalogue_of
from lindung_router.settings import DEFAULT_POLICY_FILE, RouterSettings

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

DAYS = 7
LIVE = {
    "version": "test-directory-1",
    "providers": [
        {"id": "protector-sel", "name": "Protector", "services": ["child_protector"],
         "states": ["selangor"], "languages": ["ms"], "priority": 1},
        {"id": "shelter-a", "name": "Shelter A", "services": ["safe_shelter"],
         "states": ["selangor"], "languages": ["ms"], "priority": 1},
        {"id": "shelter-b", "name": "Shelter B", "services": ["safe_shelter"],
         "states": ["selangor", "johor"], "languages": ["ms"], "priority": 2},
        {"id": "clinic-1", "name": "Clinic", "services": ["health"], "states": ["*"]},
        {"id": "legal-1", "name": "Legal aid", "services": ["legal_aid"], "states": ["*"]},
    ],
}  # fmt: skip
# Legal aid accepted 30 h after identification: in time under the live 72 h window, late
# under the draft's 24 h, for the first three cases; the fourth in time under both.
ACCEPTED_AFTER = {0: timedelta(hours=30), 1: timedelta(hours=30), 2: timedelta(hours=30),
                  3: timedelta(hours=10)}  # fmt: skip


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def opened(identified: datetime) -> Envelope[CaseOpened]:
    payload = CaseOpened(
        case_id=uuid.uuid4(),
        agency_id="pdrm-selangor",
        identified_at=identified,
        opened_at=identified + timedelta(minutes=1),
        child=ChildProfile(
            age_years=12,
            gender=Gender.FEMALE,
            nationality_status=NationalityStatus.CITIZEN,
            languages=("ms",),
        ),
        situation=Situation(location=Location.COMMUNITY, state=MalaysianState.SELANGOR),
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=identified, source="/lindung/intake")


def accepted(referral: Any, at: datetime) -> Envelope[ProviderResponded]:
    payload = ProviderResponded(
        response_id=uuid.uuid4(),
        referral_id=referral["referral_id"],
        case_id=referral["case_id"],
        provider_id=referral["provider_id"],
        response=ResponseKind.ACCEPTED,
        responded_at=at,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/intake")


async def end_offsets(stack) -> dict[TopicPartition, int]:
    """The end of every partition of every topic on the broker."""
    consumer = AIOKafkaConsumer(**stack.kafka(), enable_auto_commit=False)
    await consumer.start()
    try:
        topics = await consumer.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def contents(runtime: Runtime) -> dict[str, tuple[int, str | None]]:
    """Each table of the router's schema: its row count and a digest of its rows."""
    async with runtime.service.db.pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
            runtime.service.db.schema,
        )
        found = {}
        for row in tables:
            name = row["table_name"]
            digest = "md5(string_agg(t::text, '|' ORDER BY t::text))"
            query = f'SELECT count(*), {digest} FROM "{name}" t'
            found[name] = tuple(await conn.fetchrow(query))
    return found


def replay(stack, schema: str, live: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTER_")}
    env |= {f"ROUTER_{k.upper()}": v for k, v in stack.kafka_settings("router").items()}
    env |= {
        "ROUTER_DATABASE_URL": stack.database_url_for("router", schema),
        "ROUTER_DB_SCHEMA": schema,
        "ROUTER_DIRECTORY_FILE": str(live),
    }
    return subprocess.run(
        [sys.executable, "-m", "lindung_router", "replay", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def drafts(tmp_path: Path) -> tuple[Path, Path]:
    """The draft policy (legal aid's normal window cut from 72 h to 24 h) and directory (the
    live one without the first Selangor shelter, as HSDS 3.1)."""
    fewer = Directory.model_validate(
        LIVE | {"providers": [p for p in LIVE["providers"] if p["id"] != "shelter-a"]}
    )
    directory = tmp_path / "draft.json"
    directory.write_text(json.dumps(list(catalogue_of(fewer).services)))
    text = DEFAULT_POLICY_FILE.read_text()
    head, legal, tail = text.partition("[windows.legal_aid]")
    assert 'normal = "72h"' in tail
    tail = tail.replace('normal = "72h"', 'normal = "24h"', 1)
    head = head.replace('version = "lindung-default-2026.2"', 'version = "draft-2"')
    policy = tmp_path / "draft.toml"
    policy.write_text(head + legal + tail)
    return policy, directory


async def record_week(stack, runtime: Runtime, clock: Clock, cases: list[Any]) -> None:
    """Publish the cases, have the router route each when it came, some legal aid accepted."""
    producer = AIOKafkaProducer(**stack.kafka())
    await producer.start()
    try:
        for envelope in cases:
            record = encode(envelope)
            await producer.send_and_wait(
                record.topic, value=record.value, key=record.key, headers=list(record.headers)
            )
    finally:
        await producer.stop()
    for envelope in cases:  # as the router's consumer hands them over, when they came
        clock.at = envelope.data.opened_at + timedelta(minutes=1)
        await runtime.deliver(envelope)
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM referrals WHERE service = 'legal_aid'")
    legal = {row["case_id"]: row for row in rows}
    for index, after in ACCEPTED_AFTER.items():
        case = cases[index].data
        clock.at = case.identified_at + after
        await runtime.deliver(accepted(legal[case.case_id], clock.at))
    async with asyncio.timeout(60):  # everything the router had to say is on Kafka
        while True:
            async with runtime.service.db.pool.acquire() as conn:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                )
            if waiting == 0:
                return
            await asyncio.sleep(0.2)


def expected(cases: list[Any]) -> set[str]:
    found = set()
    for index, envelope in enumerate(cases):
        case = envelope.data
        prefix = f"case {case.case_id}"
        found.add(f"{prefix} safe_shelter: provider shelter-a -> shelter-b")
        was = case.identified_at + timedelta(hours=72)
        draft = case.identified_at + timedelta(hours=24)
        found.add(f"{prefix} legal_aid: due {z(was)} -> {z(draft)} (-2d)")
        if ACCEPTED_AFTER.get(index) == timedelta(hours=30):
            at = case.identified_at + ACCEPTED_AFTER[index]
            found.add(
                f"{prefix} legal_aid: deadline would have been missed: accepted {z(at)}, "
                f"draft due {z(draft)}"
            )
    return found


async def test_a_draft_replayed_over_a_week_prints_its_changes_and_sends_and_keeps_nothing(
    stack, schema, tmp_path
):
    live = tmp_path / "directory.json"
    live.write_text(json.dumps(LIVE))
    draft_policy, draft_directory = drafts(tmp_path)
    now = datetime.now(UTC).replace(microsecond=0)
    cases = [opened(now - timedelta(days=day, hours=3)) for day in range(1, DAYS + 1)]
    clock = Clock(now)
    settings = RouterSettings(
        **stack.kafka_settings("router"), database_url=stack.database_url, directory_file=live
    )
    runtime = Runtime(build(settings, schema=schema, clock=clock))
    await runtime.start()
    try:
        await record_week(stack, runtime, clock, cases)
        kept = await contents(runtime)
        ends = await end_offsets(stack)
        done = await asyncio.to_thread(
            replay,
            stack,
            schema,
            live,
            *("--policy", str(draft_policy), "--directory", str(draft_directory)),
            *("--since", "30d"),
        )
        assert done.returncode == 0, done.stderr
        assert await end_offsets(stack) == ends
        assert await contents(runtime) == kept
    finally:
        await runtime.stop()

    lines = done.stdout.splitlines()
    assert set(lines[1:-1]) == expected(cases)
    assert len(lines[1:-1]) == 2 * DAYS + 3
    # Every case on the topic since then is read, other tests' too; only this test's
    # cases have decisions in its schema, so only they are replayed (the summary).
    assert re.match(r"replay of \d+ cases recorded since ", lines[0]), lines[0]
    assert "under policy draft-2 and directory hsds-" in lines[0]
    summary = lines[-1]
    assert f"summary: {DAYS} cases replayed" in summary
    assert f"{2 * DAYS + 3} differences" in summary
    assert (
        "0 services added, 0 services dropped, 7 providers changed, 0 urgencies changed, "
        "7 due times moved, 3 deadlines would have been missed, 0 may have been missed, "
        "0 would have been met"
    ) in summary


def z(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_a_draft_start_up_would_refuse_is_refused_with_the_reason(stack, schema, tmp_path):
    live = tmp_path / "directory.json"
    live.write_text(json.dumps(LIVE))
    draft = tmp_path / "draft.toml"
    draft.write_text('version = "draft"\n[windows.health]\nnormal = "1h"\nurgent = "2h"\n')
    done = await asyncio.to_thread(
        replay, stack, schema, live, "--policy", str(draft), "--since", "30d"
    )
    assert done.returncode == 2
    assert str(draft) in done.stderr
    assert "urgent (2h) is longer than normal (1h)" in done.stderr
    assert done.stdout == ""

    bad = tmp_path / "draft.json"
    bad.write_text(json.dumps([{"id": "s1", "name": "no organization"}]))
    done = await asyncio.to_thread(
        replay, stack, schema, live, "--directory", str(bad), "--since", "30d"
    )
    assert done.returncode == 2
    assert f"directory {bad} is invalid" in done.stderr

    done = await asyncio.to_thread(replay, stack, schema, live, "--since", "a month")
    assert done.returncode == 2
    assert "not a duration" in done.stderr

    done = await asyncio.to_thread(replay, stack, schema, live)
    assert done.returncode == 2
    assert "--since" in done.stderr
