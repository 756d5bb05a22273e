"""The notifier's queries: deliveries and their attempts, in the notifier's own schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..domain import Recipient, RecipientKind  # noqa: TID252

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    import asyncpg

__all__ = [
    "ClaimedDelivery",
    "NewDelivery",
    "claim_due",
    "insert_deliveries",
    "mark_delivered",
    "mark_failed",
    "record_attempt",
    "schedule_retry",
]


@dataclass(frozen=True)
class NewDelivery:
    """A delivery to store: one event for one recipient."""

    notification_id: UUID
    cause_event_id: UUID
    cause_type: str
    recipient: Recipient
    case_id: UUID
    referral_id: UUID | None
    event_json: str


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this dispatcher holds a lease on, with the number of this attempt."""

    notification_id: UUID
    cause_event_id: UUID
    cause_type: str
    recipient: Recipient
    case_id: UUID
    referral_id: UUID | None
    body: bytes
    attempt: int


async def insert_deliveries(
    conn: asyncpg.Connection, deliveries: Sequence[NewDelivery], now: datetime
) -> None:
    """Store pending deliveries, due at once; an (event, recipient) already stored is kept."""
    await conn.executemany(
        "INSERT INTO deliveries (notification_id, cause_event_id, cause_type, recipient_kind,"
        " recipient, case_id, referral_id, event, next_attempt_at, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
        " ON CONFLICT (cause_event_id, recipient_kind, recipient) DO NOTHING",
        [
            (
                d.notification_id,
                d.cause_event_id,
                d.cause_type,
                d.recipient.kind.value,
                d.recipient.name,
                d.case_id,
                d.referral_id,
                d.event_json,
                now,
            )
            for d in deliveries
        ],
    )


async def claim_due(
    conn: asyncpg.Connection, *, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries and count the attempt about to be made.

    SKIP LOCKED lets several dispatchers share the table without waiting on each other.
    """
    rows = await conn.fetch(
        "WITH due AS ("
        "  SELECT notification_id FROM deliveries"
        "  WHERE status = 'pending' AND next_attempt_at <= $1"
        "    AND (leased_until IS NULL OR leased_until <= $1)"
        "  ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)"
        " UPDATE deliveries d SET attempts = d.attempts + 1, leased_until = $2"
        " FROM due WHERE d.notification_id = due.notification_id"
        " RETURNING d.notification_id, d.cause_event_id, d.cause_type, d.recipient_kind,"
        "  d.recipient, d.case_id, d.referral_id, d.event, d.attempts, d.next_attempt_at",
        now,
        lease_until,
        limit,
    )
    rows = sorted(rows, key=lambda r: r["next_attempt_at"])
    return [
        ClaimedDelivery(
            notification_id=row["notification_id"],
            cause_event_id=row["cause_event_id"],
            cause_type=row["cause_type"],
            recipient=Recipient(RecipientKind(row["recipient_kind"]), row["recipient"]),
            case_id=row["case_id"],
            referral_id=row["referral_id"],
            body=row["event"].encode(),
            attempt=row["attempts"],
        )
        for row in rows
    ]


async def record_attempt(
    conn: asyncpg.Connection,
    delivery: ClaimedDelivery,
    *,
    started_at: datetime,
    finished_at: datetime,
    status_code: int | None,
    error: str | None,
) -> None:
    """Keep the attempt in the delivery's history (once, whoever records it)."""
    await conn.execute(
        "INSERT INTO delivery_attempts"
        " (notification_id, attempt, started_at, finished_at, status_code, error)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        delivery.notification_id,
        delivery.attempt,
        started_at,
        finished_at,
        status_code,
        error,
    )


# Each transition below applies only while the delivery is pending at the attempt this
# dispatcher claimed: a holder whose lease ran out and was overtaken changes nothing.


async def mark_delivered(
    conn: asyncpg.Connection, delivery: ClaimedDelivery, *, at: datetime, status_code: int
) -> bool:
    """Record success; False when another dispatcher has taken over the delivery."""
    status = await conn.execute(
        "UPDATE deliveries SET status = 'delivered', finished_at = $3, last_status = $4,"
        " last_error = NULL, leased_until = NULL"
        " WHERE notification_id = $1 AND attempts = $2 AND status = 'pending'",
        delivery.notification_id,
        delivery.attempt,
        at,
        status_code,
    )
    return bool(status == "UPDATE 1")


async def schedule_retry(
    conn: asyncpg.Connection,
    delivery: ClaimedDelivery,
    *,
    at: datetime,
    error: str,
    status_code: int | None,
) -> bool:
    """Record a failed attempt and when the next is due; False when taken over."""
    status = await conn.execute(
        "UPDATE deliveries SET next_attempt_at = $3, last_error = $4, last_status = $5,"
        " leased_until = NULL"
        " WHERE notification_id = $1 AND attempts = $2 AND status = 'pending'",
        delivery.notification_id,
        delivery.attempt,
        at,
        error,
        status_code,
    )
    return bool(status == "UPDATE 1")


async def mark_failed(
    conn: asyncpg.Connection,
    delivery: ClaimedDelivery,
    *,
    at: datetime,
    error: str,
    status_code: int | None,
) -> bool:
    """Record that no further attempt will be made; False when taken over."""
    status = await conn.execute(
        "UPDATE deliveries SET status = 'failed', finished_at = $3, last_error = $4,"
        " last_status = $5, leased_until = NULL"
        " WHERE notification_id = $1 AND attempts = $2 AND status = 'pending'",
        delivery.notification_id,
        delivery.attempt,
        at,
        error,
        status_code,
    )
    return bool(status == "UPDATE 1")
