"""What the router decided for recorded cases, read (only read) for a replay."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lindung_contracts import ReferralStatus, ServiceType

from ..domain.replay import Decided  # noqa: TID252

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

__all__ = ["decided"]

# Statuses a referral reaches only after its provider accepted it.
_AFTER_ACCEPTANCE = (ReferralStatus.IN_PROGRESS.value, ReferralStatus.COMPLETED.value)


async def decided(
    conn: asyncpg.Connection, case_ids: list[UUID]
) -> dict[UUID, tuple[Decided, ...]]:
    """Per case the router stored, what it decided for each service (cases not stored: absent).

    The first referral of a service gives its provider, urgency and deadline; a service no
    provider could take at all has none. The acceptance is that of whichever referral of the
    service was accepted: its time exactly while it is still `accepted`, else at or before
    the time it moved on.
    """
    stored = await conn.fetch("SELECT case_id FROM cases WHERE case_id = ANY($1::uuid[])", case_ids)
    referrals = await conn.fetch(
        "SELECT case_id, service, provider_id, attempt, status, urgent, requested_at, due_at,"
        " status_at FROM referrals WHERE case_id = ANY($1::uuid[])"
        " ORDER BY case_id, service, attempt",
        case_ids,
    )
    unmet = await conn.fetch(
        "SELECT case_id, service FROM unmet_services WHERE case_id = ANY($1::uuid[])", case_ids
    )
    services: dict[UUID, dict[ServiceType, Decided]] = {row["case_id"]: {} for row in stored}
    for row in unmet:
        service = ServiceType(row["service"])
        services[row["case_id"]][service] = Decided(service, None)
    for row in referrals:
        service = ServiceType(row["service"])
        known = services[row["case_id"]]
        first = known.get(service)
        if first is None or first.provider_id is None:
            first = Decided(
                service,
                row["provider_id"],
                urgent=row["urgent"],
                due_at=row["due_at"],
                requested_at=row["requested_at"],
            )
        if first.accepted_at is None and first.accepted_by is None:
            if row["status"] == ReferralStatus.ACCEPTED.value:
                first = replace(first, accepted_at=row["status_at"])
            elif row["status"] in _AFTER_ACCEPTANCE:
                first = replace(first, accepted_by=row["status_at"])
        known[service] = first
    return {case_id: tuple(found.values()) for case_id, found in services.items()}
