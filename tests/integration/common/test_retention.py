"""Retention on the real PostgreSQL: what goes, what stays, in bounded batches, losing nothing.

Rows are written with the times they would have had; each prune is judged at a `now`
the test gives (the database's clock by default).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common import PRUNE_TIMER, Database, Outcome, Pruner, Record, Runtime
from lindung_contracts import (
    PROVIDER_RESPONSES,
    REFERRALS,
    Envelope,
    ProviderResponded,
    ReferralAccepted,
    ResponseKind,
    ServiceType,
    decode,
    encode,
)
from lindung_devstack.roles import migrations_of
from pydantic import SecretStr
from structlog.testing import capture_logs

pytestmark = pytest.mark.integration

DAY = timedelta(days=1)
NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the conftest clock
CONSUMER = "test-consumer"  # as in conftest
_offsets = itertools.count(1)


@pytest.fixture
async def db_of(make_service):
    """`await db_of(**settings)`: the `svc` service's database, started; closed afterwards."""
    started = []

    async def make(**overrides):
        service = make_service(**overrides)
        await service.db.start()
        started.append(service)
        return service

    yield make
    for service in started:
        await service.db.stop()


async def _now(db) -> datetime:
    async with db.pool.acquire() as conn:
        return await conn.fetchval("SELECT now()")


async def _outbox_row(db, *, created: datetime, published: datetime | None = None, aside=False):
    async with db.pool.acquire() as conn:
        return await conn.fetchval(
            "INSERT INTO outbox (event_id, event_type, topic, key, value, created_at,"
            " published_at, set_aside_at, set_aside_reason)"
            " VALUES ($1, 't', 'lindung.nowhere', 'k', 'v', $2, $3, $4, $5) RETURNING id",
            uuid.uuid4(),
            created,
            published,
            created if aside else None,
            "the topic does not exist on the broker" if aside else None,
        )


async def _handled(db, consumer: str, at: datetime) -> uuid.UUID:
    event_id = uuid.uuid4()
    async with db.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ($1, $2, $3)",
            consumer,
            event_id,
            at,
        )
    return event_id


async def _dead_letter(db, consumer: str, at: datetime, replayed: datetime | None = None) -> int:
    offset = next(_offsets)
    async with db.pool.acquire() as conn:
        await conn.execute(
            'INSERT INTO dead_letters (consumer, topic, partition, "offset", event_id, value,'
            " value_size, value_sha256, failure_class, reason, first_at, last_at, replayed_at,"
            " replay_outcome) VALUES ($1, 'lindung.referrals.v1', 0, $2, $3, 'x', 1, $4,"
            " 'deterministic', 'refused', $5, $5, $6, $7)",
            consumer,
            offset,
            uuid.uuid4(),
            "0" * 64,
            at,
            replayed,
            "processed" if replayed else None,
        )
    return offset


async def _ids(db, sql: str) -> set:
    async with db.pool.acquire() as conn:
        return {row[0] for row in await conn.fetch(sql)}


async def test_published_outbox_rows_go_after_their_period_and_no_row_waiting_or_set_aside(db_of):
    service = await db_of(retention_outbox_days=7)
    now = await _now(service.db)
    old = await _outbox_row(service.db, created=now - 20 * DAY, published=now - 8 * DAY)
    recent = await _outbox_row(service.db, created=now - 20 * DAY, published=now - 6 * DAY)
    waiting = await _outbox_row(service.db, created=now - 90 * DAY)
    aside = await _outbox_row(service.db, created=now - 90 * DAY, aside=True)

    report = await Pruner(service.db, service.settings, "svc").prune(now)

    assert report.outbox == 1
    assert await _ids(service.db, "SELECT id FROM outbox") == {recent, waiting, aside}
    assert old not in await _ids(service.db, "SELECT id FROM outbox")


async def test_handled_event_records_go_after_their_period_unless_a_dead_letter_waits(db_of):
    service = await db_of(retention_handled_days=30, retention_dead_letters_days=30)
    db = service.db
    now = await _now(db)
    old = await _handled(db, "a", now - 31 * DAY)
    recent = await _handled(db, "a", now - 29 * DAY)
    # Consumer b set a record aside 40 days ago, not replayed yet: a copy of that event
    # it handled within 30 days of then must stay, or the replay would apply it again.
    await _dead_letter(db, "b", now - 40 * DAY)
    held = await _handled(db, "b", now - 60 * DAY)
    beyond = await _handled(db, "b", now - 71 * DAY)

    report = await Pruner(db, service.settings, "svc").prune(now)

    assert report.handled == 2
    assert await _ids(db, "SELECT event_id FROM processed_events") == {recent, held}
    assert {old, beyond}.isdisjoint(await _ids(db, "SELECT event_id FROM processed_events"))

    # Replayed, the dead letter holds nothing any more.
    async with db.pool.acquire() as conn:
        await conn.execute(
            "UPDATE dead_letters SET replayed_at = $1, replay_outcome = 'processed'", now
        )
    assert (await Pruner(db, service.settings, "svc").prune(now)).handled == 1
    assert await _ids(db, "SELECT event_id FROM processed_events") == {recent}


async def test_only_replayed_dead_letters_go_and_only_after_their_period(db_of):
    service = await db_of(retention_dead_letters_days=30)
    db = service.db
    now = await _now(db)
    waiting = await _dead_letter(db, "a", now - 400 * DAY)
    replayed_long_ago = await _dead_letter(db, "a", now - 400 * DAY, replayed=now - 31 * DAY)
    replayed_lately = await _dead_letter(db, "a", now - 400 * DAY, replayed=now - 29 * DAY)

    report = await Pruner(db, service.settings, "svc").prune(now)

    assert report.dead_letters == 1
    offsets = await _ids(db, 'SELECT "offset" FROM dead_letters')
    assert offsets == {waiting, replayed_lately}
    assert replayed_long_ago not in offsets


async def test_each_delete_takes_at_most_a_batch_in_a_short_transaction_of_its_own(db_of):
    service = await db_of(retention_batch_size=4)
    db = service.db
    now = await _now(db)
    async with db.pool.acquire() as conn:
        # Every delete statement on the outbox records how many rows it took, and in
        # which transaction.
        await conn.execute(
            "CREATE TABLE deletes"
            " (rows bigint, xact bigint, at timestamptz DEFAULT clock_timestamp());"
            "CREATE FUNCTION count_deletes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " INSERT INTO deletes (rows, xact) SELECT count(*), txid_current() FROM gone;"
            " RETURN NULL; END $$;"
            "CREATE TRIGGER count_deletes AFTER DELETE ON outbox REFERENCING OLD TABLE AS gone"
            " FOR EACH STATEMENT EXECUTE FUNCTION count_deletes();"
        )
    for _ in range(10):
        await _outbox_row(db, created=now - 30 * DAY, published=now - 10 * DAY)

    report = await Pruner(db, service.settings, "svc").prune(now)

    assert report.outbox == 10
    async with db.pool.acquire() as conn:
        deletes = await conn.fetch("SELECT rows, xact FROM deletes ORDER BY at")
    assert [d["rows"] for d in deletes] == [4, 4, 2]
    assert len({d["xact"] for d in deletes}) == 3


async def test_a_prune_whose_time_is_spent_stops_and_the_next_one_goes_on(db_of):
    # Half the timer's limit is the budget: 2 s here, and the clock moves 1 s per batch.
    service = await db_of(retention_batch_size=2, timer_timeout_seconds=4)
    db = service.db
    now = await _now(db)
    for _ in range(9):
        await _outbox_row(db, created=now - 30 * DAY, published=now - 10 * DAY)
    ticks = itertools.count()
    pruner = Pruner(db, service.settings, "svc", monotonic=lambda: float(next(ticks)))

    with capture_logs() as logs:
        first = await pruner.prune(now)
    then = [await pruner.prune(now), await pruner.prune(now)]

    # Two batches fit in the budget: the rest waits for the next prunes, none is skipped.
    assert (first.outbox, first.more_left) == (4, True)
    assert [(r.outbox, r.more_left) for r in then] == [(4, True), (1, False)]
    assert await _ids(db, "SELECT id FROM outbox") == set()
    (line,) = [entry for entry in logs if entry["event"] == "retention pruned"]
    assert line["outbox"] == 4
    assert line["more_left"] is True
    assert set(line) >= {"processed_events", "dead_letters", "seconds"}


def _accepted() -> Envelope[ReferralAccepted]:
    payload = ReferralAccepted(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=NOW,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")


async def _answers(work, envelope) -> None:
    """A handler with an effect and an event: the provider's answer to the referral."""
    (emitted,) = work.emit(
        ProviderResponded(
            response_id=uuid.uuid4(),
            referral_id=envelope.data.referral_id,
            case_id=envelope.data.case_id,
            provider_id=envelope.data.provider_id,
            response=ResponseKind.ACCEPTED,
            responded_at=envelope.data.at,
        )
    )
    await work.conn.execute(
        "INSERT INTO effects (event_id, note) VALUES ($1, $2)", envelope.id, str(emitted.id)
    )


async def test_a_prune_running_while_records_are_handled_and_relayed_loses_nothing(
    make_service, handlers, tail
):
    handlers[ReferralAccepted] = _answers
    # Every published row and every handled record is past its period at this `now`:
    # the prune deletes all it may, as fast as it can, while the service works.
    runtime = Runtime(make_service(retention_batch_size=5))
    await runtime.start()
    reader = await tail(PROVIDER_RESPONSES)
    stop = asyncio.Event()
    pruned = {"outbox": 0, "handled": 0}

    async def prune_all_the_time() -> None:
        while not stop.is_set():
            far = await _now(runtime.service.db) + 400 * DAY
            report = await runtime.pruner.prune(far)
            pruned["outbox"] += report.outbox
            pruned["handled"] += report.handled
            await asyncio.sleep(0.005)

    pruning = asyncio.create_task(prune_all_the_time())
    try:
        envelopes = [_accepted() for _ in range(200)]
        for start in range(0, 200, 10):
            batch = [
                Record(REFERRALS.name, 0, next(_offsets), *_encoded(e))
                for e in envelopes[start : start + 10]
            ]
            assert await runtime.deliver_records(*batch) == [Outcome.PROCESSED] * 10
        async with asyncio.timeout(30):
            while await _ids(
                runtime.service.db, "SELECT id FROM outbox WHERE published_at IS NULL"
            ):
                await asyncio.sleep(0.05)
        stop.set()
        await pruning
        async with runtime.service.db.pool.acquire() as conn:
            rows = await conn.fetch("SELECT event_id, note FROM effects")
    finally:
        stop.set()
        await asyncio.gather(pruning, return_exceptions=True)
        await runtime.stop()

    # Each record had its effect exactly once, and each event it raised reached Kafka once.
    assert sorted(r["event_id"] for r in rows) == sorted(e.id for e in envelopes)
    emitted = {uuid.UUID(r["note"]) for r in rows}
    records = await reader.until(
        lambda rs: emitted <= {decode(r.value, r.headers).id for r in rs}, timeout=30
    )
    mine = [r for r in records if decode(r.value, r.headers).id in emitted]
    assert len(mine) == 200
    # The prune really ran alongside: it deleted published rows and handled records.
    assert pruned["outbox"] > 0
    assert pruned["handled"] > 0


def _encoded(envelope: Envelope) -> tuple[bytes, bytes, tuple]:
    encoded = encode(envelope)
    return encoded.key, encoded.value, encoded.headers


async def test_every_service_prunes_on_a_leader_timer_unless_turned_off(make_service):
    runtime = Runtime(make_service(retention_prune_seconds=600))
    (timer,) = [t for t in runtime.timers if t.name == PRUNE_TIMER]
    assert (timer.seconds, timer.on_leader) == (600, True)

    off = Runtime(make_service(retention_prune_seconds=0))
    assert PRUNE_TIMER not in [t.name for t in off.timers]


@pytest.mark.parametrize("service", ["intake", "router", "notifier", "sla-monitor"])
async def test_each_service_s_own_role_prunes_its_own_schema(stack, schema, settings, service):
    login = stack.database_url_for(service, schema)  # migrated by the schema's owner
    own = settings.model_copy(update={"database_url": SecretStr(login)})
    db = Database(own, schema, migrations_of(service))
    await db.start()  # nothing pending: the service's role creates nothing
    try:
        async with db.pool.acquire() as conn:
            indexes = await conn.fetch(
                "SELECT indexname FROM pg_indexes WHERE schemaname = $1", schema
            )
        assert {"outbox_created_at", "processed_events_at", "dead_letters_replayed_at"} <= {
            row["indexname"] for row in indexes
        }
        now = await _now(db)
        await _outbox_row(db, created=now - 30 * DAY, published=now - 10 * DAY)
        await _handled(db, "cases", now - 40 * DAY)
        await _dead_letter(db, "cases", now - 90 * DAY, replayed=now - 40 * DAY)

        report = await Pruner(db, own, service).prune()

        assert (report.outbox, report.handled, report.dead_letters) == (1, 1, 1)
    finally:
        await db.stop()
