"""Who is who in PostgreSQL: each service logs in as a role of its own, and nothing more.

For each service's schema two roles are made by an administrator (the only super user):

- `<schema>_owner` (no login) owns the schema and everything in it; migrations are
  applied as it (`SET ROLE`), by the administrator, before the service starts.
- `<schema>` (login, with a password) is what the service connects as: it may use its
  own schema and read, add, change and remove rows in its tables, and nothing else: no
  other schema, no `CREATE` anywhere, no superuser.

Why the service does not own its tables: an owner can always change its own tables
(grant itself any privilege back, disable or drop a trigger, drop the table), so a
rule such as "the read audit is only ever added to" (`intake.read_audit`, kept by a
trigger in intake's migrations) holds against the service only if the service is not
the owner. The same split for all four services keeps one way to deploy them.
"""

from __future__ import annotations

import importlib.util
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
from lindung_common.db import apply_migrations

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["SCHEMAS", "DatabaseRole", "login_url", "migrations_of", "provision_database"]

# service -> (its schema, the package holding its `migrations/`)
SCHEMAS: dict[str, tuple[str, str]] = {
    "intake": ("intake", "lindung_intake"),
    "router": ("router", "lindung_router"),
    "notifier": ("notifier", "lindung_notifier"),
    "sla-monitor": ("sla_monitor", "lindung_sla_monitor"),
}
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")


@dataclass(frozen=True)
class DatabaseRole:
    """A service's login role on one schema, and the role that owns that schema."""

    service: str
    schema: str
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    def __post_init__(self) -> None:
        if self.service not in SCHEMAS or not _NAME.match(self.schema):
            raise ValueError(
                f"not a service and a plain schema name: {self.service}, {self.schema}"
            )

    @property
    def login(self) -> str:
        """The role the service connects as: named after its schema."""
        return self.schema

    @property
    def owner(self) -> str:
        """The role that owns the schema and applies its migrations; it cannot log in."""
        return f"{self.schema}_owner"

    @classmethod
    def of(cls, service: str, password: str | None = None) -> DatabaseRole:
        """The role of a service on its own schema."""
        schema = SCHEMAS[service][0]
        return cls(service, schema, password) if password else cls(service, schema)


def login_url(admin_url: str, role: DatabaseRole) -> str:
    """The administrator's URL with the service's role and password in its place."""
    parts = urlsplit(admin_url)
    host = parts.hostname or ""
    netloc = f"{quote(role.login, safe='')}:{quote(role.password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def migrations_of(service: str) -> Path:
    """The service's migrations directory, found without importing the service."""
    spec = importlib.util.find_spec(SCHEMAS[service][1])
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {service} package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "migrations"


async def provision_database(admin_url: str, roles: Iterable[DatabaseRole]) -> None:
    """Make each role, its schema and owner; migrate as the owner; grant the service its rows.

    Idempotent: run again, it sets the passwords given and applies only new migrations.
    `admin_url` must be a super user's (it makes roles and acts as the owners).
    """
    conn = await asyncpg.connect(admin_url)
    try:
        database = await conn.fetchval("SELECT current_database()")
        # Nobody connects or makes temporary tables unless granted; nobody creates in public.
        await conn.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        for role in roles:
            await _roles(conn, role, database)
            owner = await conn.fetchval(
                "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1", role.schema
            )
            # A schema made earlier by the administrator (a test's own) stays theirs.
            await _migrate(admin_url, role, as_owner=owner == role.owner)
            await _grant(conn, role)
    finally:
        await conn.close()


async def _roles(conn: asyncpg.Connection, role: DatabaseRole, database: str) -> None:
    exists = "SELECT true FROM pg_roles WHERE rolname = $1"
    if not await conn.fetchval(exists, role.owner):
        await conn.execute(f"CREATE ROLE {role.owner} NOLOGIN")
    verb = "ALTER" if await conn.fetchval(exists, role.login) else "CREATE"
    statement = await conn.fetchval(
        "SELECT format('%s ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
        " NOREPLICATION NOBYPASSRLS PASSWORD %L', $1::text, $2::text, $3::text)",
        verb,
        role.login,
        role.password,
    )
    await conn.execute(statement)
    await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role.login}')
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {role.schema} AUTHORIZATION {role.owner}")


async def _migrate(admin_url: str, role: DatabaseRole, *, as_owner: bool) -> None:
    """The service's migrations, applied as the schema's owner: it owns what they make."""
    settings = {"search_path": role.schema} | ({"role": role.owner} if as_owner else {})
    pool = await asyncpg.create_pool(admin_url, min_size=1, max_size=1, server_settings=settings)
    try:
        await apply_migrations(pool, role.schema, migrations_of(role.service))
    finally:
        await pool.close()


async def _grant(conn: asyncpg.Connection, role: DatabaseRole) -> None:
    """Rows in its own tables, and its own sequences; for tables made later too."""
    schema, login, owner = role.schema, role.login, role.owner
    await conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {login}")
    await conn.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {login}"
    )
    await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {login}")
    await conn.execute(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}"
        f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {login}"
    )
    await conn.execute(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}"
        f" GRANT USAGE, SELECT ON SEQUENCES TO {login}"
    )
