"""The shared runtime against the real PostgreSQL and Kafka, in a schema of its own per test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from lindung_common import Runtime, ServiceSettings, apply_migrations, create_pool, create_producer
from lindung_contracts import decode

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)

# A service table for handlers to change; no unique key, so a double effect would show.
EFFECTS_SQL = "CREATE TABLE effects (event_id uuid NOT NULL, note text);\n"


class FixedClock:
    """A clock that always says NOW."""

    def now(self) -> datetime:
        return NOW


@pytest.fixture
def settings(stack) -> ServiceSettings:
    return ServiceSettings(
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
        database_url=stack.database_url,
        http_port=0,
    )


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
    started = create_producer(stack.kafka_bootstrap_servers, "test-common-relay")
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture
async def runtime(settings, schema, migrations):
    """A started Runtime (pool, producer, outbox relay) for a service named `svc`."""
    started = Runtime(
        service="svc", schema=schema, settings=settings, migrations=migrations, clock=FixedClock()
    )
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


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
