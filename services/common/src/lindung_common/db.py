"""PostgreSQL: one pool per service, confined to its own schema, with timeouts; migrations."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import asyncpg
import structlog

from .failures import classify
from .work import reset_connection, transaction

if TYPE_CHECKING:
    from .settings import ServiceSettings

__all__ = ["COMMON_MIGRATIONS", "Database", "apply_migrations", "create_pool"]

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
log = structlog.get_logger(__name__)


async def create_pool(
    dsn: str,
    schema: str,
    *,
    max_size: int = 10,
    connect_timeout: float = 10.0,
    command_timeout: float = 30.0,
    statement_timeout: float = 15.0,
) -> asyncpg.Pool:
    """A pool whose connections see only `schema`, and never wait without a limit.

    `command_timeout` bounds every call on the client side, so a half-open connection
    cannot block a caller for the kernel's TCP timeout; `statement_timeout` makes the
    server give up on a statement that runs too long.
    """
    _check_schema(schema)
    pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=max_size,
        timeout=connect_timeout,
        command_timeout=command_timeout,
        reset=reset_connection,
        server_settings={
            "search_path": schema,
            "application_name": f"lindung-{schema}",
            "statement_timeout": str(int(statement_timeout * 1000)),
            "idle_in_transaction_session_timeout": str(int(command_timeout * 2000)),
        },
    )
    if pool is None:  # pragma: no cover - asyncpg returns None only when not awaited
        raise RuntimeError("asyncpg did not create a pool")
    return cast("asyncpg.Pool", _Pool(pool))


# A connection that failed like this may be left in a state asyncpg does not detect (a
# server killed mid-statement leaves "another operation is in progress"); handed out
# again, it fails forever. It is terminated instead, so the pool opens a fresh one.
_BROKEN = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    OSError,
    TimeoutError,
)


class _Pool:
    """An asyncpg pool that never hands out a connection that broke while in use."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    def acquire(self, *, timeout: float | None = None) -> _Acquire:
        """Like asyncpg's: awaited, or used with `async with`."""
        return _Acquire(self._pool, timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class _Acquire:
    def __init__(self, pool: asyncpg.Pool, timeout: float | None) -> None:
        self._pool = pool
        self._timeout = timeout
        self._conn: asyncpg.Connection | None = None

    def __await__(self) -> Any:
        return self._pool.acquire(timeout=self._timeout).__await__()

    async def __aenter__(self) -> asyncpg.Connection:
        self._conn = await self._pool.acquire(timeout=self._timeout)
        return self._conn

    async def __aexit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if isinstance(exc, (*_BROKEN, asyncio.CancelledError)) and not conn.is_closed():
            conn.terminate()
        await self._pool.release(conn)


class Database:
    """The service's pool: opened (waiting for the server if need be), migrated, closed."""

    def __init__(self, settings: ServiceSettings, schema: str, migrations: Path | None) -> None:
        self.schema = schema
        self._settings = settings
        self._migrations = migrations
        self._pool: asyncpg.Pool | None = None
        self._started = asyncio.Event()

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool; only valid after `start`."""
        if self._pool is None:
            raise RuntimeError("database not started")
        return self._pool

    @property
    def started(self) -> bool:
        """Whether the pool is open and migrated."""
        return self._pool is not None

    async def wait_started(self) -> None:
        """Wait until `start` has finished."""
        await self._started.wait()

    async def start(self) -> None:
        """Open the pool and migrate; a server that is not up yet is waited for."""
        s = self._settings
        delay = 0.2
        while True:
            try:
                pool = await create_pool(
                    s.database_url.get_secret_value(),
                    self.schema,
                    max_size=s.db_pool_size,
                    connect_timeout=s.db_connect_timeout_seconds,
                    command_timeout=s.db_command_timeout_seconds,
                    statement_timeout=s.db_statement_timeout_seconds,
                )
                try:
                    dirs = (self._migrations,) if self._migrations else ()
                    await apply_migrations(pool, self.schema, *dirs)
                except BaseException:
                    await pool.close()
                    raise
            except Exception as exc:
                failure = classify(exc)
                if not failure.transient:
                    raise
                # Unreachable, or migrations pending that this role may not apply.
                log.warning("database not ready yet; retrying", reason=failure.reason)
                await asyncio.sleep(delay)
                delay = min(delay * 2, s.retry_backoff_cap_seconds)
                continue
            self._pool = pool
            self._started.set()
            return

    async def stop(self) -> None:
        """Close the pool (waits for connections in use, then closes them)."""
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), timeout=10)
            except TimeoutError:
                self._pool.terminate()

    async def ping(self) -> None:
        """One round trip; raises when the server does not answer."""
        async with self.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1", timeout=2)


async def apply_migrations(pool: asyncpg.Pool, schema: str, *directories: Path) -> list[str]:
    """Apply every `*.sql` file not yet recorded, in order, in one transaction.

    The shared outbox/inbox migrations come first, then the service's own. An advisory
    lock, taken before anything is created, keeps two instances of one service from
    migrating at once; the second sees the first's work and applies nothing.

    With nothing to apply, nothing is created: a service that logs in with a role that
    may only read and write its tables starts once the schema's owner has migrated it
    (see the README); with migrations pending, such a role is refused and retries.
    """
    _check_schema(schema)
    files = [("common", f) for f in sorted(COMMON_MIGRATIONS.glob("*.sql"))]
    for directory in directories:
        files += [(directory.parent.name, f) for f in sorted(directory.glob("*.sql"))]
    applied: list[str] = []
    async with pool.acquire() as conn, transaction(conn):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"{schema}.migrate")
        exists = await conn.fetchval("SELECT true FROM pg_namespace WHERE nspname = $1", schema)
        recorded = bool(exists) and await conn.fetchval(
            "SELECT to_regclass($1) IS NOT NULL", f"{schema}.schema_migrations"
        )
        done = (
            {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            if recorded
            else set()
        )
        pending = [(origin, path) for origin, path in files if f"{origin}/{path.name}" not in done]
        if not pending:
            return []
        log.info("applying migrations", schema=schema, pending=len(pending))
        if not exists:
            await conn.execute(f"CREATE SCHEMA {schema}")
        if not recorded:
            await conn.execute(
                "CREATE TABLE schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
        for origin, path in pending:
            name = f"{origin}/{path.name}"
            await conn.execute(path.read_text())
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
    if applied:
        log.info("migrations applied", schema=schema, migrations=applied)
    return applied


def _check_schema(schema: str) -> None:
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
