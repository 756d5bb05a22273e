"""The router's capacity figures. Every function takes a connection inside the caller's work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_contracts import CapacityCause, CapacityUnit, ServiceType

from ..domain.capacity import Figure  # noqa: TID252

if TYPE_CHECKING:
    from collections.abc import Iterable

    import asyncpg

__all__ = ["load_capacity", "lock_figure", "save_figure"]

_COLUMNS = "provider_id, service, unit, available, maximum, as_of, cause"


async def load_capacity(
    conn: asyncpg.Connection, services: Iterable[ServiceType]
) -> dict[ServiceType, dict[str, Figure]]:
    """The latest figure of each provider for these services, by service then provider id."""
    wanted = sorted({service.value for service in services})
    found: dict[ServiceType, dict[str, Figure]] = {ServiceType(s): {} for s in wanted}
    if not wanted:
        return found
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM capacity WHERE service = ANY($1::text[])",  # noqa: S608
        wanted,
    )
    for row in rows:
        found[ServiceType(row["service"])][row["provider_id"]] = _figure(row)
    return found


async def lock_figure(
    conn: asyncpg.Connection, provider_id: str, service: ServiceType
) -> Figure | None:
    """One provider's figure for one service, locked until the work ends; None if none yet."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM capacity"  # noqa: S608
        " WHERE provider_id = $1 AND service = $2 FOR UPDATE",
        provider_id,
        service.value,
    )
    return _figure(row) if row is not None else None


async def save_figure(
    conn: asyncpg.Connection, provider_id: str, service: ServiceType, figure: Figure
) -> None:
    """Keep a provider's new figure for a service in place of the one before (not a newer one)."""
    await conn.execute(
        f"INSERT INTO capacity ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"  # noqa: S608
        " ON CONFLICT (provider_id, service) DO UPDATE SET unit = EXCLUDED.unit,"
        " available = EXCLUDED.available, maximum = EXCLUDED.maximum, as_of = EXCLUDED.as_of,"
        " cause = EXCLUDED.cause, updated_at = now() WHERE capacity.as_of <= EXCLUDED.as_of",
        provider_id,
        service.value,
        figure.unit.value,
        figure.available,
        figure.maximum,
        figure.as_of,
        figure.cause.value,
    )


def _figure(row: asyncpg.Record) -> Figure:
    return Figure(
        unit=CapacityUnit(row["unit"]),
        available=row["available"],
        maximum=row["maximum"],
        as_of=row["as_of"],
        cause=CapacityCause(row["cause"]),
    )
