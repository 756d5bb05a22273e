"""The referral lifecycle, owned by the router (states after HL7 FHIR Task)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ._base import (
    AgencyId,
    CaseId,
    ContractModel,
    CoordinatorId,
    Instant,
    LanguageCode,
    Payload,
    ProviderId,
    ReferralId,
)
from .identification import Gender, Location, MalaysianState
from .outcomes import Outcome
from .reasons import MatchedTier, PassedOverCode, ReasonCode

__all__ = [
    "ChildSummary",
    "ClockAction",
    "ClockChangeRequested",
    "DetentionEscalated",
    "EscalationStep",
    "NoProviderAvailable",
    "PassedOver",
    "ProviderResponded",
    "RecipientRole",
    "ReferralAccepted",
    "ReferralCancelled",
    "ReferralCompleted",
    "ReferralDeclined",
    "ReferralMade",
    "ReferralPaused",
    "ReferralReassignmentRequested",
    "ReferralRequested",
    "ReferralRerouted",
    "ReferralResumed",
    "ReferralStarted",
    "ResponseKind",
    "ServiceType",
    "StepKind",
]


class ServiceType(StrEnum):
    """A service a child can be referred to."""

    CHILD_PROTECTOR = "child_protector"
    SAFE_SHELTER = "safe_shelter"
    HEALTH = "health"
    LEGAL_AID = "legal_aid"
    UNHCR = "unhcr"
    INTERPRETATION = "interpretation"
    PSYCHOSOCIAL = "psychosocial"


class RecipientRole(StrEnum):
    """Who is told about a referral's deadline."""

    PROVIDER = "provider"
    CASE_COORDINATOR = "case_coordinator"
    SUPERVISOR = "supervisor"
    SECRETARIAT = "secretariat"


class StepKind(StrEnum):
    """A warning before the deadline, or an escalation after it."""

    WARNING = "warning"
    ESCALATION = "escalation"


class EscalationStep(ContractModel):
    """One rung of the escalation ladder, with its absolute time."""

    kind: StepKind = Field(description="Warning before the deadline or escalation after it.")
    level: int = Field(ge=0, le=3, description="Escalation level 1-3; 0 for a warning.")
    percent_of_window: int = Field(
        ge=0, description="Where in the response window the step falls (100 = the deadline)."
    )
    at: Instant = Field(description="When the step fires unless the referral is accepted.")
    notify: RecipientRole = Field(description="Who is told.")


class ChildSummary(ContractModel):
    """Kept for compatibility and always empty: unknown age and gender, no languages.

    Nothing about the child travels with a referral; its provider reads what its service
    needs, as the consent for its category allows, from `GET /v1/referrals/{id}`.
    """

    age_years: int | None = Field(description="Estimated age; null when unknown.")
    age_disputed: bool = Field(description="Age disputed; treated as a child.")
    gender: Gender = Field(description="Gender as recorded.")
    languages: tuple[LanguageCode, ...] = Field(description="Languages the child speaks.")


# A referral names at most this many providers passed over, so that no event grows with
# the directory; the nearest and first-ranked are kept.
PASSED_OVER_LIMIT = 10


class PassedOver(ContractModel):
    """A provider ranked above the chosen one that the router did not ask, and why."""

    provider_id: ProviderId
    reason: PassedOverCode = Field(description="Why it was not asked, as a code (never words).")


class ReferralRequested(Payload):
    """The router referred a case to one provider for one service, with a deadline."""

    event_type: ClassVar[str] = "org.lindung.referral.requested.v1"

    referral_id: ReferralId
    case_id: CaseId
    agency_id: AgencyId
    service: ServiceType = Field(description="The service asked for.")
    provider_id: ProviderId
    attempt: int = Field(ge=1, description="1 for the first provider, 2 after one re-route...")
    urgent: bool = Field(description="The urgent deadline applies.")
    reasons: tuple[str, ...] = Field(min_length=1, description="Why this referral was made.")
    requested_at: Instant = Field(description="Start of the response window.")
    due_at: Instant = Field(description="The provider must accept by then.")
    escalation: tuple[EscalationStep, ...] = Field(
        description="The ladder for this referral, from the policy in force."
    )
    policy_version: str = Field(description="Version of the routing policy that decided this.")
    child: ChildSummary = Field(
        description="Always empty (unknown age and gender, no languages): the provider reads "
        "the child's details from `GET /v1/referrals/{id}`, as the consent allows."
    )
    matched_by: str | None = Field(
        default=None,
        max_length=300,
        description="How the provider was chosen: serving the child's state, a neighbouring "
        "state when none was left there, or the whole country.",
        examples=["serves selangor"],
    )
    matched_tier: MatchedTier | None = Field(
        default=None,
        description="`matched_by` as a code, for pages to say in the reader's language: the "
        "provider is based in the child's district, serves the child's state, a neighbouring "
        "state (none left in the child's), or the whole country (none left in or next to "
        "it); or a case coordinator chose it. Absent from routers that predate the field.",
        examples=["state"],
    )
    passed_over: tuple[PassedOver, ...] = Field(
        default=(),
        max_length=PASSED_OVER_LIMIT,
        description="The providers of the service ranked above the chosen one that the router "
        "did not ask, best-ranked first, each with why (at most 10). Ids and codes only. "
        "Empty when the best-ranked was asked, when a coordinator named the provider, and "
        "from routers that predate the field.",
    )
    overdue_since: Instant | None = Field(
        default=None,
        description="Set when the deadline counted from identification (or from the previous "
        "provider giving up) had already passed as the referral was made: that deadline. The "
        "window then counts from `requested_at`, and the case coordinator is told once, at "
        "once, instead of every past step firing in the same second.",
    )
    package_due_at: Instant | None = Field(
        default=None,
        description="By when every referral of the case must be accepted (the policy's "
        "package window from identification, 72 h by default); the same on each referral "
        "of a case.",
    )
    state: MalaysianState | None = Field(
        default=None,
        description="The state or federal territory the child is in, for reporting on-time "
        "rates by state; null from routers that predate the field.",
    )
    acknowledgement_window_seconds: int | None = Field(
        default=None,
        ge=1,
        description="From the policy in force: once a coordinator acknowledges an escalation "
        "of this referral, the next level waits this long from the acknowledgement, then "
        "fires anyway if the referral is still not accepted. Null from routers that predate "
        "the field: 1800 (30 minutes, PagerDuty's default acknowledgement timeout) then.",
        examples=[1800],
    )


class _ReferralFact(Payload):
    """Common fields of every referral state change."""

    referral_id: ReferralId
    case_id: CaseId
    provider_id: ProviderId
    service: ServiceType = Field(description="The service of the referral.")
    at: Instant = Field(description="When it happened (the provider's time where given).")


class ReferralAccepted(_ReferralFact):
    """The provider accepted: the deadline clock stops."""

    event_type: ClassVar[str] = "org.lindung.referral.accepted.v1"


class ReferralDeclined(_ReferralFact):
    """The provider declined, with its reason."""

    event_type: ClassVar[str] = "org.lindung.referral.declined.v1"
    reason: ReasonCode = Field(description="The provider's reason, as a code (never words).")


class ReferralStarted(_ReferralFact):
    """The provider started delivering the service."""

    event_type: ClassVar[str] = "org.lindung.referral.started.v1"


class ReferralCompleted(_ReferralFact):
    """The provider completed the service, saying what was done for the child."""

    event_type: ClassVar[str] = "org.lindung.referral.completed.v1"
    outcome: Outcome | None = Field(
        default=None,
        description="What was done for the child: delivered, partly delivered or not "
        "delivered; null when the provider did not say (and on events from before outcomes).",
    )
    outcome_reason: ReasonCode | None = Field(
        default=None,
        description="Why the service was not delivered in full, as a code (never words); "
        "null when it was, or when no outcome was said.",
    )


class ReferralCancelled(_ReferralFact):
    """The referral was withdrawn (by the router or a coordinator)."""

    event_type: ClassVar[str] = "org.lindung.referral.cancelled.v1"
    reason: str = Field(min_length=1, max_length=500, description="Why it was withdrawn.")
    reason_code: ReasonCode | None = Field(
        default=None,
        description="Why, as a code from the documented list, for notices in the recipient's "
        "language; null from routers that predate the field (then only `reason` says why).",
    )
    coordinator_id: CoordinatorId | None = Field(
        default=None,
        description="The case coordinator who asked for it to move, when one did; else null.",
    )


class ReferralRerouted(_ReferralFact):
    """The referral moved to another provider; a new ReferralRequested follows."""

    event_type: ClassVar[str] = "org.lindung.referral.rerouted.v1"
    reason: str = Field(min_length=1, max_length=500, description="Why it moved.")
    new_referral_id: UUID = Field(description="The referral that replaces this one.")
    new_provider_id: ProviderId
    reason_code: ReasonCode | None = Field(
        default=None,
        description="Why, as a code from the documented list, for notices in the recipient's "
        "language: the provider's own on a decline or failure, `no_answer` after silence, "
        "`undelivered` when it never arrived, the coordinator's when one moved it; null from "
        "routers that predate the field (then only `reason` says why).",
    )
    coordinator_id: CoordinatorId | None = Field(
        default=None,
        description="The case coordinator who moved it, when one did; else null.",
    )


class ReferralPaused(_ReferralFact):
    """A case coordinator stopped the referral's clock: no step fires until it resumes."""

    event_type: ClassVar[str] = "org.lindung.referral.paused.v1"
    coordinator_id: CoordinatorId
    reason: ReasonCode = Field(description="Why the clock stopped, as a code (never words).")


class ReferralResumed(_ReferralFact):
    """A case coordinator restarted the referral's clock: every step moves by the pause."""

    event_type: ClassVar[str] = "org.lindung.referral.resumed.v1"
    coordinator_id: CoordinatorId
    reason: ReasonCode = Field(description="Why the clock runs again, as a code (never words).")
    paused_at: Instant = Field(
        description="When the pause began; the deadline moves later by `at` minus this."
    )


class NoProviderAvailable(Payload):
    """No suitable provider is left for a service: escalates at once."""

    event_type: ClassVar[str] = "org.lindung.referral.no-provider.v1"

    case_id: CaseId
    service: ServiceType = Field(description="The service nobody can provide.")
    reasons: tuple[str, ...] = Field(min_length=1, description="Why the service is needed.")
    tried: tuple[ProviderId, ...] = Field(description="Providers already tried, in order.")
    at: Instant = Field(description="When the router gave up.")
    state: MalaysianState | None = Field(
        default=None,
        description="The state or federal territory the child is in, so that the alert reaches "
        "whoever is on call there; null from routers that predate the field.",
    )


class ReferralMade(ContractModel):
    """One referral made for a detained child, as the coordinator's alert lists it."""

    referral_id: ReferralId
    service: ServiceType = Field(description="The service the child is referred for.")
    provider_id: ProviderId
    due_at: Instant = Field(description="By when the provider must accept.")


class DetentionEscalated(Payload):
    """A child identified in immigration detention or a police lock-up: alert at once.

    The non-detention guardrail: a child must not stay detained. Beside the urgent
    referrals, the case coordinator hears at once what happened, where, and what was
    done; no deadline has to pass first.
    """

    event_type: ClassVar[str] = "org.lindung.case.detention-escalated.v1"

    case_id: CaseId
    agency_id: AgencyId
    location: Location = Field(
        description="Where the child is held: `immigration_detention` or `police_lockup`.",
        examples=["immigration_detention"],
    )
    state: MalaysianState = Field(description="The state or federal territory.")
    identified_at: Instant = Field(description="When the child was identified.")
    referrals: tuple[ReferralMade, ...] = Field(
        description="Every referral made for the child, with its provider and deadline."
    )
    unmet: tuple[ServiceType, ...] = Field(
        description="Services no provider could take (each also reported on its own)."
    )
    notify: RecipientRole = Field(description="Who is alerted: the case coordinator.")
    at: Instant = Field(description="When the router raised the alert.")


class ResponseKind(StrEnum):
    """A provider's answer to a referral."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    STARTED = "started"
    COMPLETED = "completed"
    FAILED = "failed"


class ProviderResponded(Payload):
    """A provider answered a referral through intake."""

    event_type: ClassVar[str] = "org.lindung.provider.responded.v1"
    subject_field: ClassVar[str] = "referral_id"

    response_id: UUID = Field(description="Unique id of this answer.")
    referral_id: ReferralId
    case_id: CaseId
    provider_id: ProviderId
    response: ResponseKind = Field(description="The answer.")
    reason: ReasonCode | None = Field(
        default=None,
        description="Why, as a code (required to decline or fail); any words the provider "
        "added stay sealed in intake.",
    )
    responded_at: Instant = Field(description="When the provider answered.")
    outcome: Outcome | None = Field(
        default=None,
        description="Only with `completed`: what was done for the child (delivered, partly "
        "delivered, not delivered); null when not said, and with every other answer.",
    )
    outcome_reason: ReasonCode | None = Field(
        default=None,
        description="Only with an outcome short of `delivered`, where it is required: why, "
        "as a code; any words the provider added stay sealed in intake.",
    )


class ClockAction(StrEnum):
    """What a case coordinator does to a referral's clock."""

    PAUSE = "pause"
    RESUME = "resume"


class ClockChangeRequested(Payload):
    """A case coordinator asked, through intake, to pause or resume a referral's clock.

    A pause is for a referral that cannot be acted on for a reason nobody is late for (the
    child is in hospital, say); the router decides, and says so on the referrals topic.
    """

    event_type: ClassVar[str] = "org.lindung.referral.clock-change-requested.v1"
    subject_field: ClassVar[str] = "referral_id"

    request_id: UUID = Field(description="Unique id of this request.")
    referral_id: ReferralId
    case_id: CaseId
    action: ClockAction = Field(description="Pause or resume.")
    coordinator_id: CoordinatorId
    reason: ReasonCode = Field(
        description="Why, as a code; any words the coordinator added stay sealed in intake."
    )
    at: Instant = Field(description="When the coordinator asked.")


class ReferralReassignmentRequested(Payload):
    """A case coordinator asked, through intake, to send a referral to another provider.

    To the provider named (one the coordinator has just phoned, say), or, with none named,
    to the next suitable one. The router decides: it withdraws the referral from its
    provider and asks the other, saying on the referrals topic whom it asked and why (a
    named provider it cannot ask, it replaces with the next suitable one, and says so);
    a referral already accepted or moved on stays as it is.
    """

    event_type: ClassVar[str] = "org.lindung.referral.reassignment-requested.v1"
    subject_field: ClassVar[str] = "referral_id"

    request_id: UUID = Field(description="Unique id of this request.")
    referral_id: ReferralId
    case_id: CaseId
    coordinator_id: CoordinatorId
    provider_id: ProviderId | None = Field(
        default=None,
        description="The provider the coordinator chose; null for the next suitable one.",
    )
    reason: ReasonCode = Field(
        description="Why, as a code; any words the coordinator added stay sealed in intake.",
        examples=["coordinator_arranged"],
    )
    at: Instant = Field(description="When the coordinator asked.")
