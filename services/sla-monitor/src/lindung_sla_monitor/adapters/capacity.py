"""Providers' capacity figures, as the router publishes them, and the dashboard's count.

Every function takes a connection inside the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    import asyncpg
    from lindung_contracts import CapacityChanged

__all__ = ["Places", "keep_figure", "places_by_state"]


@dataclass(frozen=True)
class Places:
    """One state's providers of one service by what their figures say, and the places free."""

    state: str
    service: str
    with_places: int
    full: int
    stale: int
    free: int


async def keep_figure(conn: asyncpg.Connection, changed: CapacityChanged) -> None:
    """Keep a provider's figure, unless one that holds since later is kept already."""
    await conn.execute(
        "INSERT INTO capacity (provider_id, service, unit, available, maximum, at, fresh_until,"
        " cause, states) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (provider_id, service) DO UPDATE SET unit = EXCLUDED.unit,"
        " available = EXCLUDED.available, maximum = EXCLUDED.maximum, at = EXCLUDED.at,"
        " fresh_until = EXCLUDED.fresh_until, cause = EXCLUDED.cause, states = EXCLUDED.states"
        # An acceptance keeps its figure's time: the same time replaces (each event is
        # handled once, in order on its provider's partition).
        " WHERE capacity.at <= EXCLUDED.at",
        changed.provider_id,
        changed.service.value,
        changed.unit.value,
        changed.available,
        changed.maximum,
        changed.at,
        changed.fresh_until,
        changed.cause.value,
        [str(state) for state in changed.states],
    )


async def places_by_state(conn: asyncpg.Connection, now: datetime) -> list[Places]:
    """Per state and service: providers with places free, full, and stale; places free.

    A figure past its `fresh_until` is stale, whatever it said; only fresh figures count
    towards the places free. A provider counts in every state it serves.
    """
    rows = await conn.fetch(
        "SELECT s.state, c.service,"
        " count(*) FILTER (WHERE c.fresh_until >= $1 AND c.free > 0) AS with_places,"
        " count(*) FILTER (WHERE c.fresh_until >= $1 AND c.free = 0) AS full,"
        " count(*) FILTER (WHERE c.fresh_until < $1) AS stale,"
        " coalesce(sum(c.free) FILTER (WHERE c.fresh_until >= $1), 0) AS free"
        " FROM (SELECT *, least(available, coalesce(maximum, available)) AS free"
        "  FROM capacity) c, unnest(c.states) AS s(state)"
        " GROUP BY s.state, c.service ORDER BY s.state, c.service",
        now,
    )
    return [
        Places(
            state=row["state"],
            service=row["service"],
            with_places=int(row["with_places"]),
            full=int(row["full"]),
            stale=int(row["stale"]),
            free=int(row["free"]),
        )
        for row in rows
    ]
