"""Taking a referral back and asking the next provider, shared by the router's use cases.

A decline, a failure, a silence, a referral that never arrived and a coordinator's
reassignment all end the same way: the next provider asked (or the service unmet), saved,
and the events to emit returned in the order readers must meet them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lindung_contracts import NoProviderAvailable, ReferralCancelled, ReferralRequested

from .adapters import postgres as db
from .adapters.capacity import load_capacity
from .domain import ReferralStatus, reroute

if TYPE_CHECKING:
    from datetime import datetime

    import asyncpg
    from lindung_common import Work
    from lindung_contracts import Payload, ReasonCode

    from .domain import Chosen, Directory, Policy, ReferralState, Routed

__all__ = ["log_routed", "log_routed_run", "rerouted", "save", "split"]


async def rerouted(
    work: Work,
    policy: Policy,
    directory: Directory,
    referral: ReferralState,
    status: ReferralStatus,
    *,
    why: str,
    detail: str,
    at: datetime,
    after_miss: bool = False,
    code: ReasonCode | None = None,
    chosen: Chosen | None = None,
) -> tuple[Routed, list[Payload]]:
    """Ask the next provider after `referral` was taken back; the events to emit, in order.

    With nobody left, a referral ended by anything but a decline (which has its own event)
    is cancelled, so that its deadline stops escalating a referral that is over; the
    coordinator hears of the unmet service at once.
    """
    conn = work.conn
    facts = await db.load_case(conn, referral.case_id)
    if facts is None:  # pragma: no cover - a referral's case is never deleted
        raise RuntimeError(f"case {referral.case_id} of a stored referral is missing")
    tried, declined = await db.tried_providers(conn, referral.case_id, referral.service)
    capacity = await load_capacity(conn, (referral.service,))
    routed, moved = reroute(
        facts,
        referral,
        why=why,
        detail=detail,
        policy=policy,
        directory=directory,
        tried=tried,
        declined=declined,
        at=at,
        now=work.now,
        referral_id=work.new_id(),
        after_miss=after_miss,
        code=code,
        chosen=chosen,
        capacity=capacity,
    )
    new_event = await save(conn, routed)
    if moved is not None:
        return routed, [moved, new_event]
    if status is not ReferralStatus.DECLINED:
        # A failure or a silence has no closing event of its own; with nobody left to
        # re-route to, the old referral must still end, or its deadline would keep
        # escalating a referral that is over. The coordinator hears of it at once.
        ended = ReferralCancelled(
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            provider_id=referral.provider_id,
            service=referral.service,
            at=at,
            reason=f"{why}, no provider left: {detail}"[:500],
            reason_code=code,
            coordinator_id=chosen.coordinator_id if chosen is not None else None,
        )
        return routed, [ended, new_event]
    return routed, [new_event]


async def save(conn: asyncpg.Connection, routed: Routed) -> Payload:
    """Store a routing result: the referral made, or the service nobody could take."""
    if routed.requested is not None:
        await db.insert_referral(conn, routed.requested)
        return routed.requested
    if routed.unmet is None:  # pragma: no cover - route() always sets one of the two
        raise RuntimeError("routing produced neither a referral nor an unmet service")
    await db.insert_unmet(conn, routed.unmet)
    return routed.unmet


def log_routed(bound: Any, routed: Routed) -> None:
    """Log whom a need was referred to and how the provider was matched, or that none was."""
    # `service` is the log field naming this process, so the referral's is `service_type`.
    service = routed.need.service.value
    if routed.requested is None:
        bound.warning("no provider available", service_type=service, matching=routed.choice.notes)
        return
    bound.info(
        "referral requested",
        referral_id=str(routed.requested.referral_id),
        service_type=service,
        provider_id=routed.requested.provider_id,
        attempt=routed.requested.attempt,
        urgent=routed.requested.urgent,
        due_at=routed.requested.due_at.isoformat(),
        matching=routed.choice.notes,
    )


def log_routed_run(logger: Any, cases: list[tuple[str, str, list[Routed]]]) -> None:
    """Log a run of newly opened cases in one line: every referral made, and how matched.

    One line per batch, not per referral: logging costs as much as routing does. A need
    no provider could take still gets its own warning. `cases` holds (case id, event id,
    results) per case.
    """
    made = []
    for case_id, event_id, results in cases:
        for routed in results:
            if routed.requested is None:
                log_routed(logger.bind(case_id=case_id, event_id=event_id), routed)
                continue
            made.append(
                {
                    "case_id": case_id,
                    "event_id": event_id,
                    "referral_id": str(routed.requested.referral_id),
                    "service_type": routed.need.service.value,
                    "provider_id": routed.requested.provider_id,
                    "attempt": routed.requested.attempt,
                    "urgent": routed.requested.urgent,
                    "due_at": routed.requested.due_at.isoformat(),
                    "matching": routed.choice.notes,
                }
            )
    if made:
        logger.info("referrals requested", count=len(made), referrals=made)


def split(
    routed: list[Routed],
) -> tuple[list[Payload], list[ReferralRequested], list[NoProviderAvailable]]:
    """Routing results as events in order, and as the referrals and unmet services to store."""
    events: list[Payload] = []
    requested: list[ReferralRequested] = []
    unmet: list[NoProviderAvailable] = []
    for result in routed:
        if result.requested is not None:
            requested.append(result.requested)
            events.append(result.requested)
        elif result.unmet is not None:
            unmet.append(result.unmet)
            events.append(result.unmet)
    return events, requested, unmet
