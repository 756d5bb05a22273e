"""Dead letters replayed after a fix: through the same consume path, idempotently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lindung_common import Outcome, Record, RecordRefused, Runtime, replay_dead_letters
from lindung_contracts import (
    CASES,
    REFERRALS,
    Envelope,
    EventDeadLettered,
    FieldError,
    ReferralAccepted,
    ServiceType,
    encode,
)
from lindung_router.bootstrap import build as build_router
from lindung_router.settings import RouterSettings

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
DEMO = Path(__file__).parents[3] / "deploy" / "demo"


def _accepted() -> Envelope[ReferralAccepted]:
    payload = ReferralAccepted(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=NOW,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")


def _record(envelope, offset: int) -> Record:
    encoded = encode(envelope)
    return Record(REFERRALS.name, 2, offset, encoded.key, encoded.value, encoded.headers)


async def _effects(runtime) -> list[uuid.UUID]:
    async with runtime.service.db.pool.acquire() as conn:
        return [r["event_id"] for r in await conn.fetch("SELECT event_id FROM effects")]


async def _letters(runtime) -> list[dict]:
    async with runtime.service.db.pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch('SELECT * FROM dead_letters ORDER BY "offset"')]


async def test_a_dead_letter_replayed_after_the_fix_is_applied_once_and_not_replayed_again(
    runtime, handlers, outbox
):
    directory = {"shelter-kl-1": False}  # the provider is missing until an operator adds it

    async def handler(work, envelope) -> None:
        if not directory[envelope.data.provider_id]:
            raise RecordRefused([FieldError(field="data.provider_id", reason="not in directory")])
        await work.conn.execute("INSERT INTO effects (event_id) VALUES ($1)", envelope.id)

    handlers[ReferralAccepted] = handler
    envelopes = [_accepted(), _accepted()]
    records = [_record(e, 40 + n) for n, e in enumerate(envelopes)]
    assert await runtime.deliver_records(*records) == [Outcome.DEAD_LETTERED] * 2

    directory["shelter-kl-1"] = True  # the fix
    reports = await replay_dead_letters(runtime, topic=REFERRALS.name)

    assert [r.outcome for r in reports] == [Outcome.PROCESSED, Outcome.PROCESSED]
    assert sorted(await _effects(runtime)) == sorted(e.id for e in envelopes)
    letters = await _letters(runtime)
    assert [(d["replay_outcome"], d["times"]) for d in letters] == [("processed", 1)] * 2
    # Nothing waits any more; replaying again changes nothing.
    assert await replay_dead_letters(runtime) == []
    # Even the same record from Kafka again (offset never committed) is not applied twice.
    assert await runtime.deliver_records(records[0]) == [Outcome.DUPLICATE]
    assert sorted(await _effects(runtime)) == sorted(e.id for e in envelopes)
    announced = list(await outbox(runtime.service.db.pool))
    assert len(announced) == 2  # the two first announcements, nothing since


async def test_a_dead_letter_that_still_fails_stays_waiting_and_is_announced_again(
    runtime, handlers, outbox
):
    async def refuses(work, envelope) -> None:
        raise RecordRefused([FieldError(field="data", reason="still broken")])

    handlers[ReferralAccepted] = refuses
    await runtime.deliver_records(_record(_accepted(), 7))
    (first,) = await _letters(runtime)

    (report,) = await replay_dead_letters(runtime, dead_letter_id=first["event_id"])
    assert report.outcome is Outcome.DEAD_LETTERED
    (again,) = await _letters(runtime)
    assert (again["times"], again["replayed_at"]) == (2, None)
    assert again["event_id"] != first["event_id"]
    announced = [r["event"].data for r in await outbox(runtime.service.db.pool)]
    assert [type(a) for a in announced] == [EventDeadLettered, EventDeadLettered]


async def test_the_dead_letters_command_lists_and_replays_a_service_s_dead_letters(stack, schema):
    settings = RouterSettings(
        **stack.kafka_settings("router"),
        database_url=stack.database_url,
        db_schema=schema,
        directory_file=DEMO / "directory.hsds.json",
    )
    runtime = Runtime(build_router(settings))
    await runtime.start(relay=False)
    try:
        garbage = Record(CASES.name, 0, 11, str(uuid.uuid4()).encode(), b"{not json", ())
        assert await runtime.deliver_records(garbage) == [Outcome.DEAD_LETTERED]
    finally:
        await runtime.stop()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTER_")} | {
        **stack.service_env("router"),
        "ROUTER_DATABASE_URL": stack.database_url_for("router", schema),
        "ROUTER_DB_SCHEMA": schema,
        "ROUTER_DIRECTORY_FILE": str(DEMO / "directory.hsds.json"),
        "ROUTER_LOG_LEVEL": "WARNING",
    }

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lindung_router", "dead-letters", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    listed = command("list")
    assert listed.returncode == 0, listed.stderr
    (line,) = [json.loads(x) for x in listed.stdout.splitlines() if x.startswith("{")]
    assert line["position"] == f"{CASES.name}/0/11"
    assert line["reason"].startswith("not decodable: value: not JSON")
    replayed = command("replay", "--topic", CASES.name)
    # Still not JSON: it stays a dead letter, and the command says so with its exit code.
    assert replayed.returncode == 1
    assert '"dead_lettered_again": 1' in replayed.stdout
