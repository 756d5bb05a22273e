"""Migrations run once per schema, in order, recorded; the pool sees its own schema only."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from lindung_common import apply_migrations, create_pool

pytestmark = pytest.mark.integration


async def _tables(pool, schema: str) -> set[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
    return {row["table_name"] for row in rows}


async def _recorded(pool) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")
    return [row["name"] for row in rows]


async def test_migrations_apply_once_and_are_recorded(stack, schema, migrations):
    pool = await create_pool(stack.database_url, schema)
    try:
        first = await apply_migrations(pool, schema, migrations)
        assert first == [
            "common/0001_outbox_inbox.sql",
            "common/0002_failures.sql",
            "common/0003_retention.sql",
            "svc/0001_effects.sql",
        ]
        assert await _recorded(pool) == sorted(first)
        assert {"outbox", "processed_events", "dead_letters", "effects"} <= await _tables(
            pool, schema
        )

        assert await apply_migrations(pool, schema, migrations) == []
        assert await _recorded(pool) == sorted(first)
    finally:
        await pool.close()


async def test_a_new_migration_file_is_applied_alone_and_in_name_order(stack, schema, migrations):
    pool = await create_pool(stack.database_url, schema)
    try:
        await apply_migrations(pool, schema, migrations)
        # 0003 depends on 0002: applying them out of name order would fail.
        (migrations / "0003_index.sql").write_text("CREATE INDEX notes_note ON notes (note);")
        (migrations / "0002_notes.sql").write_text("CREATE TABLE notes (note text);")
        assert await apply_migrations(pool, schema, migrations) == [
            "svc/0002_notes.sql",
            "svc/0003_index.sql",
        ]
        assert "notes" in await _tables(pool, schema)
    finally:
        await pool.close()


async def test_a_failing_migration_leaves_nothing_recorded_and_can_be_fixed(
    stack, schema, migrations
):
    pool = await create_pool(stack.database_url, schema)
    try:
        await apply_migrations(pool, schema, migrations)
        broken = migrations / "0002_broken.sql"
        broken.write_text("CREATE TABLE half (x int); CREATE TABLE effects (y int);")
        with pytest.raises(Exception, match="effects"):
            await apply_migrations(pool, schema, migrations)
        assert "half" not in await _tables(pool, schema)
        assert "svc/0002_broken.sql" not in await _recorded(pool)

        broken.write_text("CREATE TABLE half (x int);")
        assert await apply_migrations(pool, schema, migrations) == ["svc/0002_broken.sql"]
    finally:
        await pool.close()


async def test_unqualified_tables_land_in_the_pool_s_own_schema(stack, schema, pool):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE mine (x int)")
        assert await conn.fetchval("SHOW search_path") == schema
    assert "mine" in await _tables(pool, schema)


async def test_two_instances_migrating_a_new_schema_at_once_both_start(stack, migrations):
    # Ten fresh schemas: the race is lost most of the time, so one round proves little.
    for _ in range(10):
        schema = f"t_{uuid.uuid4().hex[:12]}"
        pools = [await create_pool(stack.database_url, schema) for _ in range(2)]
        try:
            applied = await asyncio.gather(
                *(apply_migrations(p, schema, migrations) for p in pools)
            )
            assert sorted(applied[0] + applied[1]) == [
                "common/0001_outbox_inbox.sql",
                "common/0002_failures.sql",
                "common/0003_retention.sql",
                "svc/0001_effects.sql",
            ]
        finally:
            for p in pools:
                await p.close()


async def test_two_instances_migrating_an_existing_schema_apply_each_file_once(
    stack, schema, migrations
):
    pools = [await create_pool(stack.database_url, schema) for _ in range(2)]
    try:
        # The schema and its bookkeeping table exist; the new files are what is contended.
        async with pools[0].acquire() as conn:
            await conn.execute(f"CREATE SCHEMA {schema}")
            await conn.execute(
                "CREATE TABLE schema_migrations (name text PRIMARY KEY,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        applied = await asyncio.gather(*(apply_migrations(p, schema, migrations) for p in pools))
        assert sorted(applied[0] + applied[1]) == [
            "common/0001_outbox_inbox.sql",
            "common/0002_failures.sql",
            "common/0003_retention.sql",
            "svc/0001_effects.sql",
        ]
        assert len(await _recorded(pools[0])) == 4
    finally:
        for p in pools:
            await p.close()
