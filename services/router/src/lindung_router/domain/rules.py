"""Which services a child needs, why, and which of them are urgent (DESIGN.md defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from lindung_contracts import (
    ChildProfile,
    ExploitationIndicator,
    ImmediateRisk,
    Location,
    NationalityStatus,
    ServiceType,
    Situation,
)

__all__ = ["DETAINED", "PEP_WINDOW", "Need", "needs", "pep_deadline"]

# HIV post-exposure prophylaxis only works when started within 72 h of exposure
# (WHO/UNHCR clinical management of rape survivors).
PEP_WINDOW: Final = timedelta(hours=72)

_EVERY_CHILD: Final = {
    ServiceType.CHILD_PROTECTOR: "every identified child is referred to a child protector "
    "(Child Act 2001 s.18)",
    ServiceType.SAFE_SHELTER: "every identified child is referred for a safe shelter placement",
    ServiceType.HEALTH: "every identified child gets a medical examination (Child Act 2001 s.20)",
    ServiceType.LEGAL_AID: "every identified child is referred for legal aid",
}
_UNHCR_STATUSES: Final = {
    NationalityStatus.REFUGEE,
    NationalityStatus.ASYLUM_SEEKER,
    NationalityStatus.STATELESS,
    NationalityStatus.UNDOCUMENTED,
}
DETAINED: Final = frozenset({Location.IMMIGRATION_DETENTION, Location.POLICE_LOCKUP})
_SEXUAL: Final = (ExploitationIndicator.SEXUAL_EXPLOITATION, ExploitationIndicator.SEXUAL_VIOLENCE)
# Risks the identifying officer saw that make the medical examination urgent.
_MEDICAL_RISKS: Final = frozenset(
    {ImmediateRisk.INJURIES, ImmediateRisk.MEDICAL_URGENCY, ImmediateRisk.PREGNANCY}
)
_MARRIAGE_REASON: Final = (
    "forced or child marriage is treated as a trafficking indicator, never as consent"
)
_MARRIAGE_SERVICES: Final = {
    ServiceType.CHILD_PROTECTOR,
    ServiceType.SAFE_SHELTER,
    ServiceType.LEGAL_AID,
}


@dataclass(frozen=True)
class Need:
    """One service the child needs: how urgently, why, and any hard limit on the deadline."""

    service: ServiceType
    urgent: bool
    reasons: tuple[str, ...]
    latest_due: datetime | None = None


def needs(child: ChildProfile, situation: Situation, identified_at: datetime) -> tuple[Need, ...]:
    """Every referral a newly identified child needs, in service order."""
    why: dict[ServiceType, list[str]] = {s: [r] for s, r in _EVERY_CHILD.items()}
    indicators = set(situation.indicators)
    status = child.nationality_status
    if status in _UNHCR_STATUSES:
        why[ServiceType.UNHCR] = [
            (
                f"nationality status is {status.value}: refugee, asylum-seeking, stateless "
                "and undocumented children are referred to UNHCR"
            )
        ]
    interpretation = _interpretation_reasons(child, situation)
    if interpretation:
        why[ServiceType.INTERPRETATION] = interpretation
    for indicator in _SEXUAL:
        if indicator in indicators:
            words = indicator.value.replace("_", " ")
            why.setdefault(ServiceType.PSYCHOSOCIAL, []).append(f"{words} reported")
            why[ServiceType.HEALTH].append(f"{words} reported: post-exposure and clinical care")
    if ImmediateRisk.SELF_HARM in situation.immediate_risks:
        why.setdefault(ServiceType.PSYCHOSOCIAL, []).append("risk of self-harm reported")
    if ExploitationIndicator.FORCED_OR_CHILD_MARRIAGE in indicators:
        for service in _MARRIAGE_SERVICES:
            why[service].append(_MARRIAGE_REASON)
    presumption = _presumed_child(child)
    urgency = _urgency(situation, identified_at)
    result = []
    for service in ServiceType:
        if service not in why:
            continue
        reasons = why[service] + ([presumption] if presumption else []) + urgency.get(service, [])
        result.append(
            Need(
                service=service,
                urgent=service in urgency,
                reasons=tuple(reasons),
                latest_due=pep_deadline(service, situation.sexual_violence_at)
                if service in urgency
                else None,
            )
        )
    return tuple(result)


def pep_deadline(service: ServiceType, sexual_violence_at: datetime | None) -> datetime | None:
    """The end of the post-exposure window that caps an urgent health deadline, if known."""
    if service is not ServiceType.HEALTH or sexual_violence_at is None:
        return None
    return sexual_violence_at + PEP_WINDOW


def _interpretation_reasons(child: ChildProfile, situation: Situation) -> list[str]:
    reasons = []
    if situation.interpreter_requested:
        reasons.append("an interpreter was requested")
    if child.languages and set(child.languages).isdisjoint(situation.agency_languages):
        reasons.append(
            f"the referring agency speaks none of the child's languages "
            f"({', '.join(child.languages)})"
        )
    return reasons


def _presumed_child(child: ChildProfile) -> str | None:
    # Council of Europe Convention art. 10(3): presumption of minority.
    if child.age_disputed:
        return "age disputed: treated as a child until determined otherwise"
    if child.age_years is None:
        return "age unknown: treated as a child until determined otherwise"
    return None


def _violence_urgency(
    exposure: datetime | None, identified_at: datetime
) -> list[tuple[ServiceType, str]]:
    """What sexual violence makes urgent: within 72 h, prophylaxis may still work."""
    reason = "sexual violence reported"
    urgent = [(ServiceType.CHILD_PROTECTOR, reason), (ServiceType.PSYCHOSOCIAL, reason)]
    if exposure is None:
        why = "sexual violence at an unknown time: post-exposure prophylaxis may still work (72 h)"
        urgent.append((ServiceType.HEALTH, why))
    elif identified_at - exposure <= PEP_WINDOW:
        ends = (exposure + PEP_WINDOW).isoformat()
        why = f"sexual violence within 72 h: post-exposure prophylaxis window ends {ends}"
        urgent.append((ServiceType.HEALTH, why))
    return urgent


def _risk_urgency(risks: set[ImmediateRisk]) -> list[tuple[ServiceType, str]]:
    """What the immediate risks seen at identification make urgent, and why."""
    urgent = [
        (ServiceType.HEALTH, f"{risk.value.replace('_', ' ')} reported at identification")
        for risk in sorted(risks & _MEDICAL_RISKS)
    ]
    if ImmediateRisk.SELF_HARM in risks:
        urgent += [
            (s, "risk of self-harm")
            for s in (ServiceType.CHILD_PROTECTOR, ServiceType.PSYCHOSOCIAL)
        ]
    if ImmediateRisk.PURSUED_BY_EXPLOITERS in risks:
        reason = "the exploiters are looking for the child"
        urgent += [(s, reason) for s in (ServiceType.CHILD_PROTECTOR, ServiceType.SAFE_SHELTER)]
    return urgent


def _urgency(situation: Situation, identified_at: datetime) -> dict[ServiceType, list[str]]:
    urgent: dict[ServiceType, list[str]] = {}

    def mark(service: ServiceType, reason: str) -> None:
        urgent.setdefault(service, []).append(f"urgent: {reason}")

    violence = ExploitationIndicator.SEXUAL_VIOLENCE in situation.indicators
    if situation.location in DETAINED:
        where = situation.location.value.replace("_", " ")
        guardrail = f"the child is in {where} (non-detention guardrail)"
        for service in (ServiceType.CHILD_PROTECTOR, ServiceType.SAFE_SHELTER, ServiceType.UNHCR):
            mark(service, guardrail)
    if not situation.safe_place_tonight:  # not said counts as none: see the contract
        mark(ServiceType.CHILD_PROTECTOR, "no safe place tonight")
        mark(ServiceType.SAFE_SHELTER, "no safe place tonight")
    if violence:
        for service, reason in _violence_urgency(situation.sexual_violence_at, identified_at):
            mark(service, reason)
    for service, reason in _risk_urgency(set(situation.immediate_risks)):
        mark(service, reason)
    if situation.court_date_pending:
        mark(ServiceType.LEGAL_AID, "a court date or protection order is pending")
    if situation.interview_scheduled:
        mark(ServiceType.INTERPRETATION, "an interview is scheduled")
    return urgent
