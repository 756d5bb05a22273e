"""What a provider may read of a referral's identification: what its service needs.

Pull, don't push: events carry ids and what routing needs; the provider addressed by a
referral reads the rest from intake, and only the fields its service acts on. The child
protector, who holds the statutory duty, reads everything recorded.
"""

from __future__ import annotations

from typing import Any, Final

from lindung_contracts import ServiceType

__all__ = ["FIELDS_FOR", "project"]

_S = ServiceType
_CHILD_BASICS: Final = ("child.age_years", "child.age_disputed", "child.gender", "child.languages")
_EVERYTHING: Final = (
    *_CHILD_BASICS,
    "child.nationality_status",
    "situation.indicators",
    "situation.sexual_violence_at",
    "situation.location",
    "situation.state",
    "situation.safe_place_tonight",
    "situation.court_date_pending",
    "situation.interview_scheduled",
    "identified_at",
)

# Each service's fields, by dotted path into the identification.
FIELDS_FOR: Final[dict[ServiceType, tuple[str, ...]]] = {
    _S.CHILD_PROTECTOR: _EVERYTHING,
    _S.SAFE_SHELTER: (
        *_CHILD_BASICS,
        "situation.location",
        "situation.state",
        "situation.safe_place_tonight",
    ),
    _S.HEALTH: (
        *_CHILD_BASICS,
        "situation.indicators",
        "situation.sexual_violence_at",
        "situation.location",
        "situation.state",
    ),
    _S.LEGAL_AID: (
        *_CHILD_BASICS,
        "child.nationality_status",
        "situation.indicators",
        "situation.state",
        "situation.court_date_pending",
        "situation.interview_scheduled",
    ),
    _S.UNHCR: (
        *_CHILD_BASICS,
        "child.nationality_status",
        "situation.location",
        "situation.state",
    ),
    _S.INTERPRETATION: (
        "child.languages",
        "situation.location",
        "situation.state",
        "situation.interview_scheduled",
    ),
    _S.PSYCHOSOCIAL: (*_CHILD_BASICS, "situation.indicators", "situation.state"),
}


def project(identification: dict[str, Any], service: ServiceType) -> dict[str, Any]:
    """The fields of `identification` (as stored, JSON) that `service` may read, nested."""
    shown: dict[str, Any] = {}
    for path in FIELDS_FOR[service]:
        *parents, leaf = path.split(".")
        source: Any = identification
        target = shown
        for part in parents:
            source = source.get(part, {}) if isinstance(source, dict) else {}
            target = target.setdefault(part, {})
        if isinstance(source, dict) and leaf in source:
            target[leaf] = source[leaf]
    return shown
