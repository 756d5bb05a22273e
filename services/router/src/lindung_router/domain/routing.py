"""Turning a need into a referral: a provider, a deadline and its escalation ladder."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, overload

from lindung_contracts import (
    CaseOpened,
    ChildSummary,
    Gender,
    MalaysianState,
    MatchedTier,
    NoProviderAvailable,
    ReasonCode,
    ReferralRequested,
    ReferralRerouted,
)

from .directory import Choice, Directory, choose_provider
from .policy import Policy, due_time, escalation_ladder
from .reassignment import Chosen, choose
from .rules import Need, pep_deadline
from .tiers import matched_tier

if TYPE_CHECKING:
    from uuid import UUID

    from .lifecycle import ReferralState

__all__ = ["NOT_SHARED", "CaseFacts", "Routed", "reroute", "route"]


# What `ReferralRequested.child` says: nothing (the field stays for compatibility).
NOT_SHARED: Final = ChildSummary(
    age_years=None, age_disputed=False, gender=Gender.UNKNOWN, languages=()
)


@dataclass(frozen=True)
class CaseFacts:
    """What the router keeps of a case to route and re-route it; nothing names the child."""

    case_id: UUID
    agency_id: str
    state: MalaysianState
    child: ChildSummary
    identified_at: datetime
    sexual_violence_at: datetime | None
    district: str | None = None

    @classmethod
    def of(cls, case: CaseOpened) -> CaseFacts:
        """The facts of a newly opened case."""
        child = case.child
        return cls(
            case_id=case.case_id,
            agency_id=case.agency_id,
            state=case.situation.state,
            child=ChildSummary(
                age_years=child.age_years,
                age_disputed=child.age_disputed,
                gender=child.gender,
                languages=child.languages,
            ),
            identified_at=_aware(case.identified_at),
            sexual_violence_at=_aware(case.situation.sexual_violence_at),
            district=case.situation.district,
        )


@dataclass(frozen=True)
class Routed:
    """The result of routing one need: a referral, or nobody to refer to."""

    need: Need
    choice: Choice
    requested: ReferralRequested | None
    unmet: NoProviderAvailable | None


def route(
    facts: CaseFacts,
    need: Need,
    *,
    policy: Policy,
    directory: Directory,
    start: datetime,
    now: datetime,
    referral_id: UUID,
    attempt: int = 1,
    tried: tuple[str, ...] = (),
    declined: tuple[str, ...] = (),
    report_overdue: bool = True,
    choice: Choice | None = None,
) -> Routed:
    """Refer one need to the best untried provider (or `choice`), its window from `start`.

    A window that has passed before the referral is made starts again from `now`; the
    lateness is reported on the referral (one escalation) unless `report_overdue` is off,
    because an escalation has reported it already.
    """
    if choice is None:
        choice = choose_provider(
            directory,
            need.service,
            state=facts.state,
            district=facts.district,
            languages=facts.child.languages,
            tried=tried,
            declined=declined,
        )
    if choice.provider is None:
        unmet = NoProviderAvailable(
            case_id=facts.case_id,
            service=need.service,
            reasons=need.reasons,
            tried=tried,
            at=now,
            state=facts.state,
        )
        return Routed(need, choice, None, unmet)
    due = due_time(policy, need.service, urgent=need.urgent, start=start, latest=need.latest_due)
    overdue_since = None
    if due <= now:
        # Late before it was made (a back-dated identification, a re-route processed
        # late): the provider still gets its whole window, from now, and the coordinator
        # hears of the lateness once, instead of every past step firing in one second.
        overdue_since, start = (due if report_overdue else None), now
        latest = need.latest_due if need.latest_due is not None and need.latest_due > now else None
        due = due_time(policy, need.service, urgent=need.urgent, start=start, latest=latest)
    requested = ReferralRequested(
        referral_id=referral_id,
        case_id=facts.case_id,
        agency_id=facts.agency_id,
        service=need.service,
        provider_id=choice.provider.id,
        attempt=attempt,
        urgent=need.urgent,
        reasons=need.reasons,
        requested_at=start,
        due_at=due,
        escalation=escalation_ladder(policy.ladder, start=start, due=due),
        policy_version=policy.version,
        # Nothing about the child travels: the provider reads it from intake, as the
        # consent for its category allows. The router keeps it for matching only.
        child=NOT_SHARED,
        matched_by=choice.matched_by,
        matched_tier=matched_tier(choice.provider, facts.state, facts.district),
        passed_over=choice.passed_over,
        overdue_since=overdue_since,
        package_due_at=facts.identified_at + policy.package_window,
        state=facts.state,
        acknowledgement_window_seconds=int(policy.ladder.acknowledgement_window.total_seconds()),
    )
    return Routed(need, choice, requested, None)


def reroute(
    facts: CaseFacts,
    previous: ReferralState,
    *,
    why: str,
    detail: str,
    policy: Policy,
    directory: Directory,
    tried: tuple[str, ...],
    at: datetime,
    now: datetime,
    referral_id: UUID,
    declined: tuple[str, ...] = (),
    after_miss: bool = False,
    code: ReasonCode | None = None,
    chosen: Chosen | None = None,
) -> tuple[Routed, ReferralRerouted | None]:
    """Ask the next untried provider after `previous` gave the service up at `at`.

    `why` (e.g. "declined") goes into the new referral's reasons; `detail` only into the
    ReferralRerouted, not to the next provider, and `code` says the same as a code.
    `after_miss`: an escalation took the referral back and told the coordinator already,
    so a new window that has passed meanwhile (the escalation came late) raises no second
    escalation. `chosen`: a case coordinator moves it, to the provider they named if it
    can be asked, else to the next suitable one (`reassignment.choose`). `declined`: those
    of `tried` that declined.
    """
    choice = None
    if chosen is not None:
        choice = choose(
            chosen,
            directory,
            previous,
            state=facts.state,
            district=facts.district,
            languages=facts.child.languages,
            tried=tried,
            declined=declined,
        )
    note = f"re-routed after {previous.provider_id} {why}"
    need = Need(
        service=previous.service,
        urgent=previous.urgent,
        reasons=(*previous.reasons, note),
        latest_due=pep_deadline(previous.service, facts.sexual_violence_at)
        if previous.urgent
        else None,
    )
    routed = route(
        facts,
        need,
        policy=policy,
        directory=directory,
        start=at,
        now=now,
        referral_id=referral_id,
        attempt=previous.attempt + 1,
        tried=tried,
        declined=declined,
        report_overdue=not after_miss,
        choice=choice,
    )
    if (
        routed.requested is not None
        and chosen is not None
        and routed.requested.provider_id == chosen.provider_id
    ):
        # The coordinator's own choice was asked: they are why this provider.
        coordinator = MatchedTier.COORDINATOR
        routed = replace(
            routed, requested=routed.requested.model_copy(update={"matched_tier": coordinator})
        )
    if routed.requested is None:
        # Nobody left: the coordinator needs the original reasons, not the re-route note.
        unmet = routed.unmet
        if unmet is not None:
            unmet = unmet.model_copy(update={"reasons": previous.reasons})
        return replace(routed, unmet=unmet), None
    rerouted = ReferralRerouted(
        referral_id=previous.referral_id,
        case_id=previous.case_id,
        provider_id=previous.provider_id,
        service=previous.service,
        at=at,
        reason=f"{previous.provider_id} {why}: {detail}"[:500],
        new_referral_id=routed.requested.referral_id,
        new_provider_id=routed.requested.provider_id,
        reason_code=code,
        coordinator_id=chosen.coordinator_id if chosen is not None else None,
    )
    return routed, rerouted


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | None) -> datetime | None:
    # Legal clocks compare instants; a naive time from a producer is read as UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
