"""The closed loop in reporting: what each completed referral did for the child.

Stored from `ReferralCompleted` (codes only) and read back as the dashboard's "services
delivered": referrals completed in a period, by service and outcome. A referral belongs
to the period it was completed in (not the one it was requested in, as for timeliness).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    import asyncpg
    from lindung_contracts import ReferralCompleted

__all__ = ["Delivered", "insert_completion", "services_delivered"]


@dataclass(frozen=True)
class Delivered:
    """Referrals of one service completed in a period, by what was done for the child."""

    service: str
    delivered: int
    partly_delivered: int
    not_delivered: int
    # Completed without saying what was done (or before outcomes existed).
    unstated: int

    @property
    def completed(self) -> int:
        """Every referral of the service completed in the period."""
        return self.delivered + self.partly_delivered + self.not_delivered + self.unstated


async def insert_completion(conn: asyncpg.Connection, completed: ReferralCompleted) -> None:
    """Remember a completed referral's outcome and reason codes; a repeat changes nothing."""
    await conn.execute(
        "INSERT INTO referral_outcomes (referral_id, case_id, provider_id, service, outcome,"
        " outcome_reason, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (referral_id) DO NOTHING",
        completed.referral_id,
        completed.case_id,
        completed.provider_id,
        completed.service.value,
        None if completed.outcome is None else completed.outcome.value,
        None if completed.outcome_reason is None else completed.outcome_reason.value,
        completed.at,
    )


async def services_delivered(
    conn: asyncpg.Connection, since: datetime, until: datetime
) -> list[Delivered]:
    """Referrals completed in the period, by service and outcome, services in name order."""
    rows = await conn.fetch(
        "SELECT service,"
        " count(*) FILTER (WHERE outcome = 'delivered') AS delivered,"
        " count(*) FILTER (WHERE outcome = 'partly_delivered') AS partly_delivered,"
        " count(*) FILTER (WHERE outcome = 'not_delivered') AS not_delivered,"
        " count(*) FILTER (WHERE outcome IS NULL) AS unstated"
        " FROM referral_outcomes WHERE completed_at >= $1 AND completed_at < $2"
        " GROUP BY service ORDER BY service",
        since,
        until,
    )
    return [
        Delivered(
            service=r["service"],
            delivered=int(r["delivered"]),
            partly_delivered=int(r["partly_delivered"]),
            not_delivered=int(r["not_delivered"]),
            unstated=int(r["unstated"]),
        )
        for r in rows
    ]
