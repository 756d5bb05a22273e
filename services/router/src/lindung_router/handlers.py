"""The router's use cases: load, decide, save and queue the events, in one transaction each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from lindung_common import Consumer
from lindung_contracts import (
    CASES,
    DEADLINES,
    PROVIDER_RESPONSES,
    CapacityReported,
    CaseCloseRequested,
    CaseOpened,
    ClockChangeRequested,
    DeadlineMissed,
    DetentionEscalated,
    ProviderResponded,
    ReferralReassignmentRequested,
)

from . import offer_clocks
from .adapters import postgres as db
from .adapters.capacity import load_capacity
from .capacity import Capacities
from .closing import on_close_requested
from .domain import (
    CaseFacts,
    Chosen,
    MissOutcome,
    ReferralStatus,
    apply_response,
    change_clock,
    detention_alert,
    ended_by_closing,
    needs,
    on_missed,
    reason_of,
    refuse_reassignment,
)
from .domain.offers import offer
from .offering import Offering
from .rerouting import log_routed, log_routed_run, rerouted, split

if TYPE_CHECKING:
    from lindung_common import Work
    from lindung_contracts import Envelope, Payload

    from .domain import Directory, Policy, Routed

__all__ = ["CONSUMER", "Router"]

CONSUMER = "router"
log = structlog.get_logger(__name__)


class Router:
    """The router's handlers, bound to its policy and provider directory."""

    def __init__(self, policy: Policy, directory: Directory) -> None:
        self.policy = policy
        self.directory = directory
        self.capacities = Capacities(policy, directory)
        self.offering = Offering(policy, directory, self.capacities)

    def consumer(self) -> Consumer:
        """What the router reads, and the handler of each event type."""
        return Consumer(
            name=CONSUMER,
            topics=(CASES, PROVIDER_RESPONSES, DEADLINES),
            handlers={
                ProviderResponded: self.on_provider_responded,
                ClockChangeRequested: self.on_clock_change,
                ReferralReassignmentRequested: self.on_reassignment,
                CaseCloseRequested: on_close_requested,
                DeadlineMissed: self.on_deadline_missed,
                CapacityReported: self.capacities.on_reported,
            },
            run_handlers={CaseOpened: self.on_cases_opened},
        )

    async def on_cases_opened(self, work: Work, envelopes: list[Envelope[Any]]) -> None:
        """Refer each new case for every service it needs; a case seen again changes nothing."""
        cases: list[CaseOpened] = [e.data for e in envelopes]
        facts = [CaseFacts.of(case) for case in cases]
        new = await db.insert_cases(
            work.conn,
            [(f, c.opened_at, e.id) for f, c, e in zip(facts, cases, envelopes, strict=True)],
            policy_version=self.policy.version,
            directory_version=self.directory.version,
        )
        wanted = [
            needs(case.child, case.situation, fact.identified_at) if case.case_id in new else []
            for case, fact in zip(cases, facts, strict=True)
        ]
        # One query for the batch: the providers' figures for every service it needs.
        capacity = await load_capacity(work.conn, {n.service for ns in wanted for n in ns})
        routed: list[tuple[str, str, list[Routed]]] = []
        alerts: list[DetentionEscalated] = []
        for envelope, case, fact, case_needs in zip(envelopes, cases, facts, wanted, strict=True):
            if case.case_id not in new:
                log.info(
                    "case already routed; repeated CaseOpened ignored",
                    case_id=str(case.case_id),
                    event_id=str(envelope.id),
                )
                continue
            new.discard(case.case_id)  # the same case twice in this run: routed once
            # To one provider each, or, where the policy says so, to several at once.
            results = [
                routed
                for need in case_needs
                for routed in offer(
                    fact,
                    need,
                    policy=self.policy,
                    directory=self.directory,
                    start=fact.identified_at,
                    now=work.now,
                    ids=work.new_id,
                    capacity=capacity,
                )
            ]
            routed.append((str(case.case_id), str(envelope.id), results))
            alert = detention_alert(case, results, at=work.now)
            if alert is not None:
                alerts.append(alert)
        events, requested, unmet = split([r for _, _, results in routed for r in results])
        await db.insert_referrals(work.conn, requested)
        await db.insert_unmet_many(work.conn, unmet)
        # After the referrals it lists, so a reader of the topic meets them first.
        work.emit(*events, *alerts)

        work.after_commit(lambda: log_routed_run(log, routed))

    async def on_provider_responded(self, work: Work, envelope: Envelope[Any]) -> None:
        """Apply a provider's answer; re-route on decline or failure; refuse what is not allowed."""
        answer: ProviderResponded = envelope.data
        bound = log.bind(
            case_id=str(answer.case_id),
            referral_id=str(answer.referral_id),
            event_id=str(envelope.id),
            response=answer.response.value,
        )
        if await self.offering.on_answer(work, envelope, bound):
            return
        referral = await db.lock_referral(work.conn, answer.referral_id)
        if referral is None:
            bound.warning("answer to an unknown referral ignored")
            return
        outcome = apply_response(referral, answer)
        if outcome.status is None:
            bound.warning(
                "answer changes nothing",
                why=outcome.ignored,
                provider_id=referral.provider_id,
                answered_by=answer.provider_id,
            )
            return
        status = outcome.status
        detail = reason_of(answer) if outcome.reroute else None
        await db.set_status(
            work.conn, referral.referral_id, status, at=answer.responded_at, reason=detail
        )
        # Before any re-route, so that it reads the provider's figure as the answer left it.
        await self.capacities.after_answer(work, referral, answer, status)
        events: list[Payload] = list(outcome.events)
        routed = None
        if outcome.reroute and referral.case_closed:
            # A closed case: nobody else is asked; the referral just ends.
            ended = ended_by_closing(
                referral, status, code=reason_of(answer), at=answer.responded_at
            )
            events += [ended] if ended is not None else []
        elif outcome.reroute:
            routed, more = await rerouted(
                work,
                self.policy,
                self.directory,
                referral,
                status,
                why="declined" if status is ReferralStatus.DECLINED else "reported failure",
                detail=reason_of(answer),
                at=answer.responded_at,
                code=reason_of(answer),
            )
            events += more
        work.emit(*events)

        def moved() -> None:
            bound.info("referral moved", status=status.value, service_type=referral.service.value)
            if routed is not None:
                log_routed(bound, routed)

        work.after_commit(moved)

    async def on_clock_change(self, work: Work, envelope: Envelope[Any]) -> None:
        """A coordinator pauses or resumes a referral's clock; the sla-monitor follows."""
        request: ClockChangeRequested = envelope.data
        bound = log.bind(
            case_id=str(request.case_id),
            referral_id=str(request.referral_id),
            event_id=str(envelope.id),
            action=request.action.value,
            coordinator_id=request.coordinator_id,
        )
        if await offer_clocks.on_clock_change(work, envelope, bound):
            return
        referral = await db.lock_referral(work.conn, request.referral_id)
        if referral is None:
            bound.warning("clock change for an unknown referral ignored")
            return
        change = change_clock(referral, request)
        if change.event is None:
            bound.warning("clock change changes nothing", why=change.ignored)
            return
        await db.record_clock_change(work.conn, change.event, request.request_id)
        work.emit(change.event)
        work.after_commit(lambda: bound.info("referral clock changed"))

    async def on_reassignment(self, work: Work, envelope: Envelope[Any]) -> None:
        """A coordinator sends a referral to another provider: withdrawn here, asked there."""
        request: ReferralReassignmentRequested = envelope.data
        bound = log.bind(
            case_id=str(request.case_id),
            referral_id=str(request.referral_id),
            event_id=str(envelope.id),
            coordinator_id=request.coordinator_id,
            chosen=request.provider_id,
        )
        if await self.offering.on_reassignment(work, envelope, bound):
            return
        referral = await db.lock_referral(work.conn, request.referral_id)
        why = "unknown referral" if referral is None else refuse_reassignment(referral, request)
        if referral is None or why is not None:
            bound.warning("reassignment changes nothing", why=why)
            return
        status = ReferralStatus.WITHDRAWN
        code = request.reason
        await db.set_status(
            work.conn, referral.referral_id, status, at=request.at, reason=code.value
        )
        routed, events = await rerouted(
            work,
            self.policy,
            self.directory,
            referral,
            status,
            why=f"was withdrawn by case coordinator {request.coordinator_id}",
            detail=code,
            at=request.at,
            code=code,
            chosen=Chosen(request.coordinator_id, request.provider_id),
        )
        asked = routed.requested.provider_id if routed.requested is not None else None
        await db.record_reassignment(work.conn, request, asked=asked)
        work.emit(*events)

        def moved() -> None:
            bound.info("referral reassigned", provider_id=referral.provider_id, asked=asked)
            log_routed(bound, routed)

        work.after_commit(moved)

    async def on_deadline_missed(self, work: Work, envelope: Envelope[Any]) -> None:
        """A silent or unreachable provider: withdrawn, the next one asked (as the rule says).

        A referral that could not be delivered is withdrawn whatever the policy says of
        silence; a silent provider only where the policy re-routes silence.
        """
        missed: DeadlineMissed = envelope.data
        if await self.offering.on_missed(work, envelope):
            return
        referral = await db.lock_referral(work.conn, missed.referral_id)
        miss = on_missed(referral, missed, self.policy)
        if referral is None or miss.at is None:
            # Ignored (answered meanwhile, say), or a service whose silence only escalates.
            return
        bound = log.bind(
            case_id=str(missed.case_id),
            referral_id=str(missed.referral_id),
            event_id=str(envelope.id),
            provider_id=referral.provider_id,
        )
        if miss.outcome is MissOutcome.NOTED:
            await db.mark_undelivered(work.conn, referral.referral_id, miss.at)
            work.after_commit(lambda: bound.warning("paused referral found undeliverable"))
            return
        status = ReferralStatus.WITHDRAWN
        await db.set_status(work.conn, referral.referral_id, status, at=miss.at, reason=None)
        routed, events = await rerouted(
            work,
            self.policy,
            self.directory,
            referral,
            status,
            why=miss.why or "",
            detail=miss.detail or "",
            at=miss.at,
            after_miss=True,
            code=miss.code,
        )
        work.emit(*events)

        def withdrawn() -> None:
            bound.info("referral withdrawn", why=miss.why, level=missed.escalation_level)
            log_routed(bound, routed)

        work.after_commit(withdrawn)
