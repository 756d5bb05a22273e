"""The notifier's queries: deliveries and their attempts, in the notifier's own schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lindung_contracts import Channel

from ..domain import Delivered, GaveUp, Recipient, RecipientKind, RetryLater  # noqa: TID252

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    import asyncpg

    from ..domain import Outcome  # noqa: TID252

__all__ = [
    "Attempt",
    "ClaimedDelivery",
    "HistoryRow",
    "NewDelivery",
    "claim_due",
    "insert_deliveries",
    "record_attempts",
    "tried_for",
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
    channel: Channel = Channel.WEBHOOK


@dataclass(frozen=True)
class HistoryRow:
    """One thing that happened to a referral: asked, declined, withdrawn or accepted."""

    event_id: UUID
    case_id: UUID
    referral_id: UUID
    service: str
    provider_id: str
    what: str
    at: datetime


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
    channel: Channel = Channel.WEBHOOK


@dataclass(frozen=True)
class Attempt:
    """One finished attempt of a claimed delivery, and the outcome it leads to."""

    delivery: ClaimedDelivery
    started_at: datetime
    finished_at: datetime
    status_code: int | None
    error: str | None
    outcome: Outcome


async def insert_deliveries(
    conn: asyncpg.Connection,
    deliveries: Sequence[NewDelivery],
    now: datetime,
    history: Sequence[HistoryRow] = (),
) -> int:
    """Store pending deliveries, due at once, and `history`, in one statement; how many new.

    An (event, recipient, channel) already stored is kept as it is, and so is an event
    already in the history.
    """
    if not deliveries and not history:
        return 0
    status = await conn.execute(
        "WITH history AS (INSERT INTO case_history"
        " (event_id, case_id, referral_id, service, provider_id, what, at)"
        " SELECT * FROM unnest($11::uuid[], $12::uuid[], $13::uuid[], $14::text[], $15::text[],"
        "  $16::text[], $17::timestamptz[]) ON CONFLICT (event_id) DO NOTHING)"
        " INSERT INTO deliveries (notification_id, cause_event_id, cause_type, recipient_kind,"
        " recipient, case_id, referral_id, event, channel, next_attempt_at, created_at)"
        " SELECT u.notification_id, u.cause_event_id, u.cause_type, u.recipient_kind,"
        "  u.recipient, u.case_id, u.referral_id, u.event::json, u.channel, $9, $9"
        " FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[],"
        "  $7::uuid[], $8::text[], $10::text[]) AS u(notification_id, cause_event_id,"
        "  cause_type, recipient_kind, recipient, case_id, referral_id, event, channel)"
        " ON CONFLICT (cause_event_id, recipient_kind, recipient, channel) DO NOTHING",
        [d.notification_id for d in deliveries],
        [d.cause_event_id for d in deliveries],
        [d.cause_type for d in deliveries],
        [d.recipient.kind.value for d in deliveries],
        [d.recipient.name for d in deliveries],
        [d.case_id for d in deliveries],
        [d.referral_id for d in deliveries],
        [d.event_json for d in deliveries],
        now,
        [d.channel.value for d in deliveries],
        [r.event_id for r in history],
        [r.case_id for r in history],
        [r.referral_id for r in history],
        [r.service for r in history],
        [r.provider_id for r in history],
        [r.what for r in history],
        [r.at for r in history],
    )
    return int(status.rsplit(" ", 1)[-1])


async def claim_due(
    conn: asyncpg.Connection,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    per_recipient: int = 1_000_000,
) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries and count the attempt about to be made.

    At most `per_recipient` deliveries to one recipient are in flight at once, across
    every dispatcher (two claiming at the very same moment may each take that many): a
    dead or slow endpoint with a long queue holds that many slots for its timeout, never
    all of them. SKIP LOCKED lets several dispatchers share the table
    without waiting on each other.
    """
    rows = await conn.fetch(
        # The recipients with anything pending, one index probe each (a skip scan): a
        # handful, whatever the backlog.
        "WITH RECURSIVE recipients AS ("
        "  (SELECT recipient_kind, recipient, channel FROM deliveries"
        "   WHERE status = 'pending' ORDER BY 1, 2, 3 LIMIT 1)"
        "  UNION ALL"
        "  SELECT n.* FROM recipients r CROSS JOIN LATERAL ("
        "   SELECT recipient_kind, recipient, channel FROM deliveries"
        "   WHERE status = 'pending' AND (recipient_kind, recipient, channel)"
        "    > (r.recipient_kind, r.recipient, r.channel)"
        "   ORDER BY 1, 2, 3 LIMIT 1) n),"
        # Per recipient, its oldest due deliveries up to its free slots, locked as read: a
        # row another dispatcher claimed and committed meanwhile is asked again against
        # its new lease (and skipped), never taken twice.
        " due AS ("
        "  SELECT c.notification_id, c.next_attempt_at FROM recipients r"
        "  CROSS JOIN LATERAL (SELECT count(*) AS n FROM deliveries b"
        "   WHERE b.status = 'pending' AND b.leased_until IS NOT NULL"
        "    AND b.leased_until > $1 AND b.recipient_kind = r.recipient_kind"
        "    AND b.recipient = r.recipient AND b.channel = r.channel) busy"
        "  CROSS JOIN LATERAL (SELECT d.notification_id, d.next_attempt_at FROM deliveries d"
        "   WHERE d.status = 'pending' AND d.recipient_kind = r.recipient_kind"
        "    AND d.recipient = r.recipient AND d.channel = r.channel"
        "    AND d.next_attempt_at <= $1 AND (d.leased_until IS NULL OR d.leased_until <= $1)"
        "   ORDER BY d.next_attempt_at LIMIT greatest($4 - busy.n, 0)"
        "   FOR UPDATE OF d SKIP LOCKED) c"
        "  ORDER BY c.next_attempt_at LIMIT $3)"
        # By primary key: a join would read the whole table, delivered rows and all.
        " UPDATE deliveries d SET attempts = d.attempts + 1, leased_until = $2"
        " WHERE d.notification_id = ANY(ARRAY(SELECT notification_id FROM due))"
        " RETURNING d.notification_id, d.cause_event_id, d.cause_type, d.recipient_kind,"
        "  d.recipient, d.case_id, d.referral_id, d.event, d.attempts, d.next_attempt_at,"
        "  d.channel",
        now,
        lease_until,
        limit,
        per_recipient,
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
            channel=Channel(row["channel"]),
        )
        for row in rows
    ]


async def record_attempts(conn: asyncpg.Connection, attempts: Sequence[Attempt]) -> set[UUID]:
    """Keep each attempt in its delivery's history and apply its outcome, in two statements.

    Returns the deliveries whose outcome was applied; the others were taken over.
    """
    if not attempts:
        return set()
    # In one order, so that two overlapping passes rarely lock rows in opposite orders (a
    # deadlock would still only fail the pass, which is retried).
    attempts = sorted(attempts, key=lambda a: a.delivery.notification_id)
    ids = [a.delivery.notification_id for a in attempts]
    numbers = [a.delivery.attempt for a in attempts]
    codes = [a.status_code for a in attempts]
    # The history keeps every attempt once, whoever records it.
    await conn.execute(
        "INSERT INTO delivery_attempts"
        " (notification_id, attempt, started_at, finished_at, status_code, error)"
        " SELECT * FROM unnest($1::uuid[], $2::integer[], $3::timestamptz[],"
        "  $4::timestamptz[], $5::integer[], $6::text[])"
        " ON CONFLICT DO NOTHING",
        ids,
        numbers,
        [a.started_at for a in attempts],
        [a.finished_at for a in attempts],
        codes,
        [a.error for a in attempts],
    )
    changes = [_change(a.outcome) for a in attempts]
    # An outcome applies only while the delivery is pending at the attempt this dispatcher
    # claimed: a holder whose lease ran out and was overtaken changes nothing.
    rows = await conn.fetch(
        "UPDATE deliveries d SET status = u.status,"
        "  next_attempt_at = COALESCE(u.next_attempt_at, d.next_attempt_at),"
        "  finished_at = u.finished_at, last_status = u.last_status,"
        "  last_error = u.last_error, leased_until = NULL"
        " FROM unnest($1::uuid[], $2::integer[], $3::text[], $4::timestamptz[],"
        "  $5::timestamptz[], $6::integer[], $7::text[]) AS u(notification_id, attempt,"
        "  status, next_attempt_at, finished_at, last_status, last_error)"
        " WHERE d.notification_id = u.notification_id AND d.attempts = u.attempt"
        "  AND d.status = 'pending'"
        " RETURNING d.notification_id",
        ids,
        numbers,
        [c.status for c in changes],
        [c.next_attempt_at for c in changes],
        [c.finished_at for c in changes],
        codes,
        [c.error for c in changes],
    )
    return {row["notification_id"] for row in rows}


@dataclass(frozen=True)
class _Change:
    status: str
    next_attempt_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


def _change(outcome: Outcome) -> _Change:
    match outcome:
        case Delivered(at=at):
            return _Change("delivered", finished_at=at)
        case RetryLater(at=at, error=error):
            return _Change("pending", next_attempt_at=at, error=error)
        case GaveUp(at=at, error=error):
            return _Change("failed", finished_at=at, error=error)


async def tried_for(
    conn: asyncpg.Connection, case_id: UUID, service: str
) -> list[tuple[datetime, str, str]]:
    """What was tried for one service of a case, oldest first: (when, provider, what).

    Who was asked, declined, withdrawn or accepted, and which referrals could not be
    delivered to their provider.
    """
    rows = await conn.fetch(
        "SELECT at, provider_id, what FROM case_history WHERE case_id = $1 AND service = $2"
        " UNION ALL"
        " SELECT d.finished_at, d.recipient, 'not delivered' FROM deliveries d"
        " JOIN case_history h ON h.referral_id = d.referral_id AND h.what = 'asked'"
        " WHERE d.case_id = $1 AND h.service = $2 AND d.status = 'failed'"
        "  AND d.cause_type = 'org.lindung.referral.requested.v1' AND d.finished_at IS NOT NULL"
        " ORDER BY 1, 2",
        case_id,
        service,
    )
    return [(r[0], r[1], r[2]) for r in rows]
