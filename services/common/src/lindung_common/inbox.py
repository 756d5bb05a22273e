"""The idempotent consumer: remember each event id in the same transaction as its effect."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

__all__ = ["first_deliveries", "first_delivery"]


async def first_delivery(conn: asyncpg.Connection, consumer: str, event_id: UUID) -> bool:
    """Record that `consumer` handled `event_id`; False when it already had (a redelivery).

    Call inside the transaction that applies the event, so that the record and the effect
    commit or roll back together.
    """
    status = await conn.execute(
        "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        consumer,
        event_id,
    )
    return bool(status == "INSERT 0 1")


async def first_deliveries(
    conn: asyncpg.Connection, consumer: str, event_ids: list[UUID]
) -> set[UUID]:
    """Record a batch of events for `consumer` at once; the ids it had not handled before."""
    if not event_ids:
        return set()
    rows = await conn.fetch(
        "INSERT INTO processed_events (consumer, event_id) SELECT $1, unnest($2::uuid[])"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        consumer,
        event_ids,
    )
    return {row["event_id"] for row in rows}
