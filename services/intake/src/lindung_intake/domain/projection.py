"""What a provider may read of a referral's identification: what its service needs.

Pull, don't push: events carry ids and what routing needs; the provider addressed by a
referral reads the rest from intake, and only the fields its service acts on, and only
where the consent recorded for its category (or a child protection officer's
best-interest override) allows. The child protector, who holds the statutory duty,
reads everything recorded, consent or not.
"""

from __future__ import annotations

from typing import Any, Final

from lindung_contracts import ServiceType, SharingCategory

__all__ = ["CATEGORY_OF", "FIELDS_FOR", "may_share", "pick", "project", "shown_fields"]

_S = ServiceType
_CHILD_BASICS: Final = ("child.age_years", "child.age_disputed", "child.gender", "child.languages")
_OFFICER: Final = "personal.officer"  # the identifying officer's name, phone and unit
_WHO: Final = ("personal.name", "personal.date_of_birth")
_EVERYTHING: Final = (
    *_CHILD_BASICS,
    "child.officer_age_estimate_years",
    "child.accompaniment",
    "child.nationality_status",
    "situation.how_identified",
    "situation.indicators",
    "situation.immediate_risks",
    "situation.sexual_violence_at",
    "situation.location",
    "situation.state",
    "situation.district",
    "situation.safe_place_tonight",
    "situation.court_date_pending",
    "situation.interview_scheduled",
    "identified_at",
    *_WHO,
    "personal.documents",
    "personal.whereabouts",
    _OFFICER,
    "personal.narrative",
)

# Each service's fields, by dotted path into the identification (`personal.*`: the
# personal details, decrypted only for a read that shows one of them).
FIELDS_FOR: Final[dict[ServiceType, tuple[str, ...]]] = {
    _S.CHILD_PROTECTOR: _EVERYTHING,
    _S.SAFE_SHELTER: (
        *_CHILD_BASICS,
        "child.accompaniment",
        "situation.immediate_risks",
        "situation.location",
        "situation.state",
        "situation.district",
        "situation.safe_place_tonight",
        "personal.whereabouts",
        _OFFICER,
    ),
    _S.HEALTH: (
        *_CHILD_BASICS,
        "situation.indicators",
        "situation.immediate_risks",
        "situation.sexual_violence_at",
        "situation.location",
        "situation.state",
        "situation.district",
        *_WHO,
        "personal.whereabouts",
        _OFFICER,
    ),
    _S.LEGAL_AID: (
        *_CHILD_BASICS,
        "child.officer_age_estimate_years",
        "child.accompaniment",
        "child.nationality_status",
        "situation.how_identified",
        "situation.indicators",
        "situation.state",
        "situation.court_date_pending",
        "situation.interview_scheduled",
        *_WHO,
        "personal.documents",
        _OFFICER,
        "personal.narrative",
    ),
    _S.UNHCR: (
        *_CHILD_BASICS,
        "child.accompaniment",
        "child.nationality_status",
        "situation.location",
        "situation.state",
        *_WHO,
        "personal.documents",
        "personal.whereabouts",
        _OFFICER,
    ),
    _S.INTERPRETATION: (
        "child.languages",
        "situation.location",
        "situation.state",
        "situation.district",
        "situation.interview_scheduled",
        _OFFICER,
    ),
    _S.PSYCHOSOCIAL: (
        *_CHILD_BASICS,
        "child.accompaniment",
        "situation.indicators",
        "situation.immediate_risks",
        "situation.state",
        "personal.name",
        _OFFICER,
    ),
}


# The consent category each service's provider needs; the child protector needs none.
CATEGORY_OF: Final[dict[ServiceType, SharingCategory]] = {
    _S.SAFE_SHELTER: SharingCategory.SHELTER,
    _S.HEALTH: SharingCategory.HEALTH,
    _S.LEGAL_AID: SharingCategory.LEGAL_AID,
    _S.UNHCR: SharingCategory.UNHCR,
    _S.INTERPRETATION: SharingCategory.INTERPRETATION,
    _S.PSYCHOSOCIAL: SharingCategory.PSYCHOSOCIAL,
}


def may_share(identification: dict[str, Any], service: ServiceType) -> bool:
    """Whether the child's details may go to this service's provider."""
    category = CATEGORY_OF.get(service)
    if category is None:  # the child protector: the law requires it
        return True
    consent = identification.get("consent") or {}
    if consent.get("best_interest_override"):
        return True
    return category.value in (consent.get("categories") or ())


def shown_fields(identification: dict[str, Any], service: ServiceType) -> tuple[str, ...]:
    """The field paths `service` may read: what it needs, and nothing without consent."""
    return FIELDS_FOR[service] if may_share(identification, service) else ()


def pick(identification: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """The fields at `paths` (dotted) of `identification` (as stored, JSON), nested."""
    shown: dict[str, Any] = {}
    for path in paths:
        *parents, leaf = path.split(".")
        source: Any = identification
        for part in parents:
            source = source.get(part, {}) if isinstance(source, dict) else {}
        if not (isinstance(source, dict) and leaf in source):
            continue  # not recorded: nothing to show, not even an empty parent
        target = shown
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = source[leaf]
    return shown


def project(identification: dict[str, Any], service: ServiceType) -> dict[str, Any]:
    """What `service` may read of `identification`; nothing about the child without consent."""
    return pick(identification, shown_fields(identification, service))
