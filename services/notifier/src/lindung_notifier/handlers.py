"""Step one of a notification: turn an accepted event into pending deliveries, durably.

The handler only writes rows; the dispatcher sends them. So consuming from Kafka never
waits on a slow webhook, and what was consumed survives a restart in PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lindung_common import first_delivery

from .adapters import postgres
from .domain import recipients_for, referral_of

if TYPE_CHECKING:
    import asyncpg
    from lindung_common import Clock, IdFactory
    from lindung_contracts import Envelope

__all__ = ["CONSUMER", "store_deliveries"]

CONSUMER = "notifier"


async def store_deliveries(
    envelope: Envelope[Any], *, pool: asyncpg.Pool, clock: Clock, ids: IdFactory
) -> int:
    """Store one pending delivery per recipient of the event; returns how many were new."""
    recipients = recipients_for(envelope.data)
    if not recipients:
        return 0
    event_json = envelope.model_dump_json()
    deliveries = [
        postgres.NewDelivery(
            notification_id=ids(),
            cause_event_id=envelope.id,
            cause_type=envelope.type,
            recipient=recipient,
            case_id=envelope.data.case_id,
            referral_id=referral_of(envelope.data),
            event_json=event_json,
        )
        for recipient in recipients
    ]
    async with pool.acquire() as conn, conn.transaction():
        if not await first_delivery(conn, CONSUMER, envelope.id):
            return 0
        await postgres.insert_deliveries(conn, deliveries, clock.now())
    return len(deliveries)
