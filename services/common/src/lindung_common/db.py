"""PostgreSQL: one pool per service, confined to the service's own schema, and migrations."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import structlog

__all__ = ["COMMON_MIGRATIONS", "apply_migrations", "create_pool"]

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
log = structlog.get_logger(__name__)


async def create_pool(dsn: str, schema: str, *, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections see only `schema` (plus pg_catalog) on their search path."""
    _check_schema(schema)
    pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=max_size,
        server_settings={"search_path": schema, "application_name": f"lindung-{schema}"},
    )
    if pool is None:  # pragma: no cover - asyncpg returns None only when not awaited
        raise RuntimeError("asyncpg did not create a pool")
    return pool


async def apply_migrations(pool: asyncpg.Pool, schema: str, *directories: Path) -> list[str]:
    """Apply every `*.sql` file not yet recorded, in order, in one transaction.

    The shared outbox/inbox migrations come first, then the service's own. An advisory
    lock, taken before anything is created, keeps two instances of one service from
    migrating at once; the second sees the first's work and applies nothing.
    """
    _check_schema(schema)
    files = [("common", f) for f in sorted(COMMON_MIGRATIONS.glob("*.sql"))]
    for directory in directories:
        files += [(directory.parent.name, f) for f in sorted(directory.glob("*.sql"))]
    applied: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"{schema}.migrate")
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for origin, path in files:
            name = f"{origin}/{path.name}"
            if name in done:
                continue
            await conn.execute(path.read_text())
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
    if applied:
        log.info("migrations applied", schema=schema, migrations=applied)
    return applied


def _check_schema(schema: str) -> None:
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
