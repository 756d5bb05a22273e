"""Each service signs in to PostgreSQL as a role of its own that reaches its own schema only.

Checked on the run's real PostgreSQL, provisioned by the stack exactly as for the demo and
the end-to-end tests (`lindung_devstack.roles`): what each role may do is tried, and what
it may not do must fail with PostgreSQL's own permission error.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from lindung_common import apply_migrations
from lindung_devstack.roles import SCHEMAS, migrations_of

pytestmark = pytest.mark.integration

SERVICES = tuple(SCHEMAS)


def _schema(service: str) -> str:
    return SCHEMAS[service][0]


async def test_no_service_role_is_a_super_user_or_owns_anything(stack):
    logins = [_schema(s) for s in SERVICES]
    conn = await asyncpg.connect(stack.database_url)
    try:
        roles = await conn.fetch(
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolcanlogin"
            " FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname",
            logins,
        )
        owned = await conn.fetchval(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner::regrole::text = ANY($1))"
            " + (SELECT count(*) FROM pg_namespace WHERE nspowner::regrole::text = ANY($1))"
            " + (SELECT count(*) FROM pg_proc WHERE proowner::regrole::text = ANY($1))",
            logins,
        )
        owners = await conn.fetch(
            "SELECT nspname, nspowner::regrole::text AS owner FROM pg_namespace"
            " WHERE nspname = ANY($1)",
            logins,
        )
    finally:
        await conn.close()
    assert [r["rolname"] for r in roles] == sorted(logins)
    for role in roles:
        powers = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolbypassrls")
        assert role["rolcanlogin"]
        assert [p for p in powers if role[p]] == [], role["rolname"]
    assert owned == 0
    assert {r["nspname"]: r["owner"] for r in owners} == {s: f"{s}_owner" for s in logins}


async def test_no_role_signs_in_without_its_own_password(stack):
    url = stack.database_urls["notifier"]
    wrong = url.replace(stack.database_roles["notifier"].password, "not-the-password")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(wrong)
    # Nor as the administrator with another role's password.
    admin = url.replace("//notifier:", "//postgres:")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(admin)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_uses_its_own_schema_and_is_refused_every_other(stack, service):
    own = _schema(service)
    conn = await asyncpg.connect(stack.database_urls[service])
    try:
        assert await conn.fetchval("SELECT current_user") == own
        # Its own tables: read (and, in a transaction rolled back, written).
        assert await conn.fetchval(f"SELECT count(*) >= 0 FROM {own}.outbox")
        written = conn.transaction()
        await written.start()
        try:
            await conn.execute(
                f"INSERT INTO {own}.processed_events (consumer, event_id) VALUES ($1, $2)",
                "roles-test",
                uuid.uuid4(),
            )
            await conn.execute(f"DELETE FROM {own}.processed_events WHERE consumer = 'roles-test'")
        finally:
            await written.rollback()
        for other in (_schema(s) for s in SERVICES if s != service):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match=f"schema {other}"):
                await conn.fetchval(f"SELECT count(*) FROM {other}.outbox")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f"CREATE TABLE {own}.made_by_the_service (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.made_by_the_service (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE SCHEMA made_by_the_service")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TEMPORARY TABLE made_by_the_service (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f"DROP TABLE {own}.outbox")
    finally:
        await conn.close()


async def test_intake_adds_to_the_read_audit_and_can_neither_change_nor_remove_a_row(stack):
    conn = await asyncpg.connect(stack.database_urls["intake"])
    added = conn.transaction()  # what the test adds is rolled back at its end
    await added.start()
    try:
        row = await conn.fetchval(
            "INSERT INTO intake.read_audit"
            " (at, reader_kind, reader_id, resource, resource_id, fields, shown)"
            " VALUES ($1, 'provider', 'roles-test', 'referral', $2, '{}', false) RETURNING id",
            datetime.now(UTC),
            uuid.uuid4(),
        )
        assert await conn.fetchval("SELECT count(*) FROM intake.read_audit WHERE id = $1", row)
        for statement in (
            "UPDATE intake.read_audit SET shown = true WHERE id = $1",
            "DELETE FROM intake.read_audit WHERE id = $1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                async with conn.transaction():  # a savepoint: the refusal leaves the rest
                    await conn.execute(statement, row)
        for statement in (
            "TRUNCATE intake.read_audit",
            "ALTER TABLE intake.read_audit DISABLE TRIGGER read_audit_append_only",
            "DROP TRIGGER read_audit_append_only ON intake.read_audit",
            "DROP FUNCTION intake.read_audit_append_only()",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await conn.execute(statement)
        shown = await conn.fetchval("SELECT shown FROM intake.read_audit WHERE id = $1", row)
        assert shown is False
    finally:
        await added.rollback()
        await conn.close()


async def test_a_role_that_may_not_migrate_applies_nothing_and_is_refused_while_some_are_pending(
    stack, schema
):
    login = stack.database_url_for("router", schema)  # migrated by the schema's owner
    pool = await asyncpg.create_pool(
        login, min_size=1, max_size=1, server_settings={"search_path": schema}
    )
    try:
        # Nothing pending: the service's role starts without creating anything.
        assert await apply_migrations(pool, schema, migrations_of("router")) == []
        admin = await asyncpg.connect(stack.database_url)
        try:
            await admin.execute(
                f"DELETE FROM {schema}.schema_migrations WHERE name = $1",
                "lindung_router/0004_district.sql",
            )
        finally:
            await admin.close()
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await apply_migrations(pool, schema, migrations_of("router"))
    finally:
        await pool.close()
