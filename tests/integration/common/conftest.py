"""The shared runtime against the real PostgreSQL and Kafka, in a schema of its own per test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from lindung_common import (
    Consumer,
    Runtime,
    Service,
    ServiceSettings,
    apply_migrations,
    create_pool,
    create_producer,
    foundations,
)
from lindung_contracts import REFERRALS, decode

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)

# A service table for handlers to change; no unique key, so a double effect would show.
EFFECTS_SQL = "CREATE TABLE effects (event_id uuid NOT NULL, note text);\n"


class FixedClock:
    """A clock that always says NOW."""

    def now(self) -> datetime:
        return NOW


CONSUMER = "test-consumer"


def _settings(stack, **overrides: Any) -> ServiceSettings:
    # Retries of passing failures come quickly here: the tests wait for them.
    return ServiceSettings(
        **stack.kafka_settings("admin"),
        database_url=stack.database_url,
        http_port=0,
        **({"retry_backoff_cap_seconds": 0.2} | overrides),
    )


@pytest.fixture
def settings(stack) -> ServiceSettings:
    return _settings(stack)


@pytest.fixture
def migrations(tmp_path):
    """A service's own migrations directory, with one table for handler effects."""
    directory = tmp_path / "svc" / "migrations"
    directory.mkdir(parents=True)
    (directory / "0001_effects.sql").write_text(EFFECTS_SQL)
    return directory


@pytest.fixture
async def pool(stack, schema, migrations):
    """A pool confined to the test's schema, migrated."""
    created = await create_pool(stack.database_url, schema)
    await apply_migrations(created, schema, migrations)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
async def producer(stack):
    started = create_producer(stack.kafka(), "test-common-relay")
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture
def handlers() -> dict[type, Any]:
    """The test consumer's handlers: each test puts in what it needs before delivering."""
    return {}


def _service(settings, schema, migrations, handlers, **consumer: Any) -> Service:
    """A service `svc` with one consumer of REFERRALS whose handlers are `handlers`."""
    db, events = foundations("svc", settings, migrations, schema=schema, clock=FixedClock())
    reads = Consumer(name=CONSUMER, topics=(REFERRALS,), handlers=handlers, **consumer)
    return Service(name="svc", settings=settings, db=db, events=events, consumers=[reads])


@pytest.fixture
async def runtime(settings, schema, migrations, handlers):
    """The `svc` service started without Faust (database, producer, relay, health)."""
    started = Runtime(_service(settings, schema, migrations, handlers))
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture
def make_service(stack, schema, migrations, handlers):
    """`make_service(**settings)`: the `svc` service with other settings, not started."""

    def make(**overrides: Any) -> Service:
        return _service(_settings(stack, **overrides), schema, migrations, handlers)

    return make


async def _outbox(pool) -> list[dict[str, Any]]:
    """Every outbox row in id order, with the event decoded."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM outbox ORDER BY id")
    return [dict(row) | {"event": decode(bytes(row["value"]))} for row in rows]


# Helpers as fixtures: test modules are imported by path, so they cannot import this file.
@pytest.fixture
def outbox():
    return _outbox


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()
