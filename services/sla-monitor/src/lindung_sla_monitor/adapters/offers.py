"""Offers to several providers in PostgreSQL: which referral is of which offer, and claims.

Every function runs inside the caller's unit of work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_sla_monitor.domain.offers import offer_claims, once_per_offer, shared

if TYPE_CHECKING:
    from datetime import timedelta
    from uuid import UUID

    import asyncpg
    from lindung_contracts import ReferralRequested

    from lindung_sla_monitor.domain import FirePlan

__all__ = ["claim_raised", "fire_once_per_offer", "insert_members", "move_offer_levels_above"]


async def insert_members(conn: asyncpg.Connection, requests: list[ReferralRequested]) -> None:
    """Remember the offer of each request that is one of an offer (a repeat changes nothing)."""
    members = [(r.referral_id, r.offer_id) for r in requests if r.offer_id is not None]
    if not members:
        return
    await conn.execute(
        "INSERT INTO offer_members (referral_id, offer_id)"
        " SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT (referral_id) DO NOTHING",
        [referral_id for referral_id, _ in members],
        [offer_id for _, offer_id in members],
    )


async def fire_once_per_offer(conn: asyncpg.Connection, plan: FirePlan) -> FirePlan:
    """The plan with each offer's coordinator-facing step claimed once, the copies skipped.

    A claim made by a pass not yet committed holds back another pass claiming the same
    step until it commits (then finds it made): one of them fires it, whichever schedulers
    hold the offer's referrals.
    """
    candidates = [f.deadline.referral_id for f in plan.fires if shared(f.step)]
    if not candidates:
        return plan
    rows = await conn.fetch(
        "SELECT referral_id, offer_id FROM offer_members WHERE referral_id = ANY($1::uuid[])",
        candidates,
    )
    offers: dict[UUID, UUID] = {row["referral_id"]: row["offer_id"] for row in rows}
    claims = offer_claims(plan, offers)
    if not claims:
        return plan
    won = await conn.fetch(
        "INSERT INTO offer_steps (offer_id, step_no, referral_id, event_id)"
        " SELECT o, s, r, e FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::uuid[])"
        "  WITH ORDINALITY AS u(o, s, r, e, n) ORDER BY n"
        " ON CONFLICT (offer_id, step_no) DO NOTHING RETURNING referral_id, step_no",
        [c[0] for c in claims],
        [c[1] for c in claims],
        [c[2] for c in claims],
        [c[3] for c in claims],
    )
    return once_per_offer(plan, offers, {(row["referral_id"], row["step_no"]) for row in won})


async def claim_raised(
    conn: asyncpg.Connection, referral_id: UUID, step_no: int, event_id: UUID
) -> None:
    """Claim for its offer a step raised outside the scheduler (early, after a failure).

    So the other referrals' copies of it are skipped when they come due. Nothing for a
    referral of no offer, or a step of the offer already raised.
    """
    await conn.execute(
        "INSERT INTO offer_steps (offer_id, step_no, referral_id, event_id)"
        " SELECT offer_id, $2, referral_id, $3 FROM offer_members WHERE referral_id = $1"
        " ON CONFLICT (offer_id, step_no) DO NOTHING",
        referral_id,
        step_no,
        event_id,
    )


async def move_offer_levels_above(
    conn: asyncpg.Connection, referral_id: UUID, level: int, moved_by: timedelta
) -> int:
    """Hold the offer's other referrals' copies of the levels above `level` as well.

    An acknowledgement holds the offer's next level, whichever referral's copy would fire
    it. Nothing for a referral of no offer; how many steps moved.
    """
    status = await conn.execute(
        "UPDATE deadline_steps s SET at = s.at + $3"
        " FROM offer_members o JOIN offer_members m ON m.offer_id = o.offer_id"
        " WHERE o.referral_id = $1 AND m.referral_id <> $1 AND s.referral_id = m.referral_id"
        " AND s.kind = 'escalation' AND s.state = 'pending' AND s.level > $2",
        referral_id,
        level,
        moved_by,
    )
    return int(status.split()[-1])
