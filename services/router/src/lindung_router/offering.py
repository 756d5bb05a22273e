"""Answers to and escalations of referrals offered to several providers at once.

The rules are `domain/offers.py`'s. Here, in the caller's unit of work: the whole offer
locked (its case first, then its referrals in id order), the decision saved, and the
events emitted in the order readers must meet them: the answer's own fact, the others
withdrawn, then whatever the service is offered to next.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import structlog
from lindung_contracts import ReasonCode, ReferralCancelled

from .adapters import closing as closing_db
from .adapters import offers as offers_db
from .adapters import postgres as db
from .adapters.capacity import load_capacity
from .domain import (
    Chosen,
    MissOutcome,
    ReferralStatus,
    ended_by_closing,
    reason_of,
    refuse_reassignment,
)
from .domain.offers import answer_offer, miss_offer, reoffer
from .rerouting import log_routed, rerouted

if TYPE_CHECKING:
    from datetime import datetime

    from lindung_common import Work
    from lindung_contracts import (
        DeadlineMissed,
        Envelope,
        Payload,
        ProviderResponded,
        ReferralReassignmentRequested,
    )

    from .capacity import Capacities
    from .domain import Directory, Policy, ReferralState, Routed

__all__ = ["Offering"]

log = structlog.get_logger(__name__)


class Offering:
    """The router's handling of offers, bound to its policy and provider directory."""

    def __init__(self, policy: Policy, directory: Directory, capacities: Capacities) -> None:
        self.policy = policy
        self.directory = directory
        self.capacities = capacities

    async def on_answer(self, work: Work, envelope: Envelope[Any], bound: Any) -> bool:
        """Apply an answer to a referral of an offer; False when the referral is of none."""
        answer: ProviderResponded = envelope.data
        offer_id = await offers_db.offer_of(work.conn, answer.referral_id)
        if offer_id is None:
            return False
        bound = bound.bind(offer_id=str(offer_id))
        members = await offers_db.lock_offer(work.conn, offer_id)
        referral = next(m for m in members if m.referral_id == answer.referral_id)
        decided = answer_offer(referral, members, answer)
        status = decided.outcome.status
        if status is None:
            # A second acceptance among them: its referral was withdrawn, and its
            # provider told so, when the first one came.
            bound.warning(
                "answer changes nothing",
                why=decided.outcome.ignored,
                provider_id=referral.provider_id,
                answered_by=answer.provider_id,
            )
            return True
        code = reason_of(answer)
        at = answer.responded_at
        await db.set_status(
            work.conn,
            referral.referral_id,
            status,
            at=at,
            reason=code if decided.outcome.reroute else None,
        )
        # Before any new offer, so that it reads the provider's figure as the answer left it.
        await self.capacities.after_answer(work, referral, answer, status)
        events: list[Payload] = list(decided.outcome.events)
        if decided.withdrawn:
            withdrawn = [c.referral_id for c in decided.withdrawn]
            await closing_db.withdraw(
                work.conn, withdrawn, at=at, reason=ReasonCode.TAKEN_ELSEWHERE.value
            )
            events += decided.withdrawn
        routed: tuple[Routed, ...] = ()
        ended = replace(referral, status=status)
        if decided.reoffer and referral.case_closed:
            closed = ended_by_closing(referral, status, code=code, at=at)
            events += [closed] if closed is not None else []
        elif decided.reoffer:
            gave_up = "declined" if status is ReferralStatus.DECLINED else "reported failure"
            routed, more = await self._reoffer(
                work, [ended], why=gave_up, detail=code, at=at, code=code
            )
            events += more
        elif status is ReferralStatus.FAILED:
            # Others of the offer are still asked: this one ends without a re-route, and
            # a failure has no event of its own.
            events.append(_ended(ended, at, f"reported failure: {code}", code))
        work.emit(*events)

        def moved() -> None:
            bound.info(
                "offered referral moved",
                status=status.value,
                withdrawn=len(decided.withdrawn),
                service_type=referral.service.value,
            )
            for result in routed:
                log_routed(bound, result)

        work.after_commit(moved)
        return True

    async def on_missed(self, work: Work, envelope: Envelope[Any]) -> bool:
        """Apply an escalation of a referral of an offer; False when the referral is of none."""
        missed: DeadlineMissed = envelope.data
        offer_id = await offers_db.offer_of(work.conn, missed.referral_id)
        if offer_id is None:
            return False
        members = await offers_db.lock_offer(work.conn, offer_id)
        referral = next(m for m in members if m.referral_id == missed.referral_id)
        decided = miss_offer(referral, members, missed, self.policy)
        miss = decided.miss
        bound = log.bind(
            case_id=str(missed.case_id),
            referral_id=str(missed.referral_id),
            offer_id=str(offer_id),
            event_id=str(envelope.id),
        )
        if miss.outcome is MissOutcome.NOTED and miss.at is not None:
            await db.mark_undelivered(work.conn, referral.referral_id, miss.at)
            work.after_commit(lambda: bound.warning("paused referral found undeliverable"))
            return True
        if not decided.withdrawn or miss.at is None:
            return True
        at = miss.at
        status = ReferralStatus.WITHDRAWN
        for taken_back in decided.withdrawn:
            await db.set_status(work.conn, taken_back.referral_id, status, at=at, reason=None)
        ended = [replace(r, status=status) for r in decided.withdrawn]
        routed: tuple[Routed, ...] = ()
        if decided.reoffer:
            routed, events = await self._reoffer(
                work,
                ended,
                why=miss.why or "",
                detail=miss.detail or "",
                at=at,
                code=miss.code,
                after_miss=True,
            )
        else:
            # Not delivered to this provider; the others of the offer are still asked.
            events = [_ended(r, at, f"{miss.why}: {miss.detail}", miss.code) for r in ended]
        work.emit(*events)

        def withdrawn() -> None:
            bound.info(
                "offered referrals withdrawn",
                why=miss.why,
                level=missed.escalation_level,
                withdrawn=[str(r.referral_id) for r in ended],
            )
            for result in routed:
                log_routed(bound, result)

        work.after_commit(withdrawn)
        return True

    async def on_reassignment(self, work: Work, envelope: Envelope[Any], bound: Any) -> bool:
        """A coordinator moves one referral of an offer: the whole offer moves with it.

        Whoever they phoned, the other providers of the offer must stop, or two would act:
        each one still waiting is withdrawn with the coordinator's reason. False when the
        referral is of no offer.
        """
        request: ReferralReassignmentRequested = envelope.data
        offer_id = await offers_db.offer_of(work.conn, request.referral_id)
        if offer_id is None:
            return False
        bound = bound.bind(offer_id=str(offer_id))
        members = await offers_db.lock_offer(work.conn, offer_id)
        referral = next(m for m in members if m.referral_id == request.referral_id)
        why = refuse_reassignment(referral, request)
        if why is not None:
            bound.warning("reassignment changes nothing", why=why)
            return True
        code = request.reason
        waiting = [m for m in members if m.status is ReferralStatus.REQUESTED]
        await closing_db.withdraw(
            work.conn, [m.referral_id for m in waiting], at=request.at, reason=code.value
        )
        routed, events = await rerouted(
            work,
            self.policy,
            self.directory,
            referral,
            ReferralStatus.WITHDRAWN,
            why=f"was withdrawn by case coordinator {request.coordinator_id}",
            detail=code,
            at=request.at,
            code=code,
            chosen=Chosen(request.coordinator_id, request.provider_id),
        )
        asked = routed.requested.provider_id if routed.requested is not None else None
        await db.record_reassignment(work.conn, request, asked=asked)
        others = [
            _ended(m, request.at, f"moved by case coordinator {request.coordinator_id}", code)
            for m in waiting
            if m.referral_id != referral.referral_id
        ]
        coordinator = {"coordinator_id": request.coordinator_id}
        work.emit(*(o.model_copy(update=coordinator) for o in others), *events)

        def moved() -> None:
            bound.info("offered referral reassigned", asked=asked, withdrawn=len(waiting))
            log_routed(bound, routed)

        work.after_commit(moved)
        return True

    async def _reoffer(
        self,
        work: Work,
        ended: list[ReferralState],
        *,
        why: str,
        detail: str,
        at: datetime,
        code: ReasonCode | None,
        after_miss: bool = False,
    ) -> tuple[tuple[Routed, ...], list[Payload]]:
        """Offer the service to the next providers; save them; the events, in order."""
        first = ended[0]
        facts = await db.load_case(work.conn, first.case_id)
        if facts is None:  # pragma: no cover - a referral's case is never deleted
            raise RuntimeError(f"case {first.case_id} of a stored referral is missing")
        tried, declined = await db.tried_providers(work.conn, first.case_id, first.service)
        capacity = await load_capacity(work.conn, (first.service,))
        routed, events = reoffer(
            facts,
            ended,
            why=why,
            detail=detail,
            policy=self.policy,
            directory=self.directory,
            tried=tried,
            declined=declined,
            at=at,
            now=work.now,
            ids=work.new_id,
            after_miss=after_miss,
            code=code,
            capacity=capacity,
        )
        requested = [r.requested for r in routed if r.requested is not None]
        await db.insert_referrals(work.conn, requested)
        unmet = [r.unmet for r in routed if r.unmet is not None]
        await db.insert_unmet_many(work.conn, unmet)
        return routed, [*events, *requested, *unmet]


def _ended(
    referral: ReferralState, at: datetime, reason: str, code: ReasonCode | None
) -> ReferralCancelled:
    """The end of one referral of an offer whose others are still asked."""
    return ReferralCancelled(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=at,
        reason=reason[:500],
        reason_code=code,
    )
