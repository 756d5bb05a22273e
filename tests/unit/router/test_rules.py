"""Which services a child is referred to, how urgently and why (DESIGN.md, Policy defaults)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lindung_contracts import (
    CaseOpened,
    ChildProfile,
    ExploitationIndicator,
    Gender,
    Location,
    MalaysianState,
    NationalityStatus,
    ServiceType,
    Situation,
)
from lindung_router.adapters.config_files import load_directory, load_policy
from lindung_router.domain import CaseFacts, Need, needs, route
from lindung_router.settings import DEFAULT_POLICY_FILE

S = ServiceType
I = ExploitationIndicator  # noqa: E741 - reads like the table it mirrors
IDENTIFIED = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
EVERY_CHILD = {S.CHILD_PROTECTOR, S.SAFE_SHELTER, S.HEALTH, S.LEGAL_AID}
DEMO_DIRECTORY = Path(__file__).parents[3] / "deploy" / "demo" / "directory.hsds.json"


def child(**overrides: Any) -> ChildProfile:
    fields: dict[str, Any] = {
        "age_years": 12,
        "gender": Gender.FEMALE,
        "nationality_status": NationalityStatus.CITIZEN,
        "languages": ("ms",),
    }
    return ChildProfile(**(fields | overrides))


ABSENT = object()  # a field the agency did not send


def situation(**overrides: Any) -> Situation:
    # A safe place tonight unless a row says otherwise, so each row shows its own rule.
    fields: dict[str, Any] = {
        "location": Location.COMMUNITY,
        "state": MalaysianState.SELANGOR,
        "safe_place_tonight": True,
    }
    return Situation(**{k: v for k, v in (fields | overrides).items() if v is not ABSENT})


def needs_of(
    child_overrides: dict[str, Any] | None = None, **situation_overrides: Any
) -> dict[ServiceType, Need]:
    result = needs(child(**(child_overrides or {})), situation(**situation_overrides), IDENTIFIED)
    return {need.service: need for need in result}


# (what the row of the table says, child fields, situation fields, {service: urgent})
RULES = [
    ("every identified child", {}, {}, dict.fromkeys(EVERY_CHILD, False)),
    (
        "refugee: UNHCR",
        {"nationality_status": NationalityStatus.REFUGEE},
        {},
        dict.fromkeys(EVERY_CHILD | {S.UNHCR}, False),
    ),
    (
        "asylum-seeker: UNHCR",
        {"nationality_status": NationalityStatus.ASYLUM_SEEKER},
        {},
        dict.fromkeys(EVERY_CHILD | {S.UNHCR}, False),
    ),
    (
        "stateless: UNHCR",
        {"nationality_status": NationalityStatus.STATELESS},
        {},
        dict.fromkeys(EVERY_CHILD | {S.UNHCR}, False),
    ),
    (
        "undocumented: UNHCR",
        {"nationality_status": NationalityStatus.UNDOCUMENTED},
        {},
        dict.fromkeys(EVERY_CHILD | {S.UNHCR}, False),
    ),
    (
        "documented migrant: no UNHCR",
        {"nationality_status": NationalityStatus.DOCUMENTED_MIGRANT},
        {},
        dict.fromkeys(EVERY_CHILD, False),
    ),
    (
        "status unknown: no UNHCR",
        {"nationality_status": NationalityStatus.UNKNOWN},
        {},
        dict.fromkeys(EVERY_CHILD, False),
    ),
    (
        "interpreter requested",
        {},
        {"interpreter_requested": True},
        dict.fromkeys(EVERY_CHILD | {S.INTERPRETATION}, False),
    ),
    (
        "child's language not spoken by the agency",
        {"languages": ("my",)},
        {"agency_languages": ("ms", "en")},
        dict.fromkeys(EVERY_CHILD | {S.INTERPRETATION}, False),
    ),
    (
        "one shared language is enough",
        {"languages": ("rhg", "ms")},
        {"agency_languages": ("ms", "en")},
        dict.fromkeys(EVERY_CHILD, False),
    ),
    (
        "no languages recorded: no interpreter unless requested",
        {"languages": ()},
        {},
        dict.fromkeys(EVERY_CHILD, False),
    ),
    (
        "interview scheduled makes interpretation urgent",
        {"languages": ("my",)},
        {"interview_scheduled": True},
        dict.fromkeys(EVERY_CHILD, False) | {S.INTERPRETATION: True},
    ),
    (
        "sexual exploitation: psychosocial support",
        {},
        {"indicators": (I.SEXUAL_EXPLOITATION,)},
        dict.fromkeys(EVERY_CHILD | {S.PSYCHOSOCIAL}, False),
    ),
    (
        "sexual violence, time unknown: urgent health, protector, psychosocial",
        {},
        {"indicators": (I.SEXUAL_VIOLENCE,)},
        {
            S.CHILD_PROTECTOR: True,
            S.SAFE_SHELTER: False,
            S.HEALTH: True,
            S.LEGAL_AID: False,
            S.PSYCHOSOCIAL: True,
        },
    ),
    (
        "sexual violence 80 h ago: health no longer urgent",
        {},
        {
            "indicators": (I.SEXUAL_VIOLENCE,),
            "sexual_violence_at": IDENTIFIED - timedelta(hours=80),
        },
        {
            S.CHILD_PROTECTOR: True,
            S.SAFE_SHELTER: False,
            S.HEALTH: False,
            S.LEGAL_AID: False,
            S.PSYCHOSOCIAL: True,
        },
    ),
    (
        "forced or child marriage: protector, shelter, legal aid",
        {},
        {"indicators": (I.FORCED_OR_CHILD_MARRIAGE,)},
        dict.fromkeys(EVERY_CHILD, False),
    ),
    (
        "immigration detention: urgent protector and shelter",
        {},
        {"location": Location.IMMIGRATION_DETENTION},
        dict.fromkeys(EVERY_CHILD, False) | {S.CHILD_PROTECTOR: True, S.SAFE_SHELTER: True},
    ),
    (
        "police lock-up, refugee: urgent protector, shelter and UNHCR",
        {"nationality_status": NationalityStatus.REFUGEE},
        {"location": Location.POLICE_LOCKUP},
        dict.fromkeys(EVERY_CHILD, False)
        | {S.CHILD_PROTECTOR: True, S.SAFE_SHELTER: True, S.UNHCR: True},
    ),
    (
        "no safe place tonight: urgent protector and shelter",
        {},
        {"safe_place_tonight": False},
        dict.fromkeys(EVERY_CHILD, False) | {S.CHILD_PROTECTOR: True, S.SAFE_SHELTER: True},
    ),
    (
        "a safe place tonight not known counts as none",
        {},
        {"safe_place_tonight": ABSENT},
        dict.fromkeys(EVERY_CHILD, False) | {S.CHILD_PROTECTOR: True, S.SAFE_SHELTER: True},
    ),
    (
        "injuries, a medical urgency or a pregnancy: urgent health",
        {},
        {"immediate_risks": ("injuries",)},
        dict.fromkeys(EVERY_CHILD, False) | {S.HEALTH: True},
    ),
    (
        "pregnancy: urgent health",
        {},
        {"immediate_risks": ("pregnancy",)},
        dict.fromkeys(EVERY_CHILD, False) | {S.HEALTH: True},
    ),
    (
        "risk of self-harm: urgent protector and psychosocial support",
        {},
        {"immediate_risks": ("self_harm",)},
        dict.fromkeys(EVERY_CHILD, False) | {S.CHILD_PROTECTOR: True, S.PSYCHOSOCIAL: True},
    ),
    (
        "pursued by the exploiters: urgent protector and shelter",
        {},
        {"immediate_risks": ("pursued_by_exploiters",)},
        dict.fromkeys(EVERY_CHILD, False) | {S.CHILD_PROTECTOR: True, S.SAFE_SHELTER: True},
    ),
    (
        "court date pending: urgent legal aid",
        {},
        {"court_date_pending": True},
        dict.fromkeys(EVERY_CHILD, False) | {S.LEGAL_AID: True},
    ),
    (
        "in hospital, at home: nothing urgent",
        {},
        {"location": Location.HOSPITAL},
        dict.fromkeys(EVERY_CHILD, False),
    ),
]


@pytest.mark.parametrize(
    ("child_fields", "situation_fields", "expected"),
    [pytest.param(c, s, e, id=row) for row, c, s, e in RULES],
)
def test_referral_rules(child_fields, situation_fields, expected):
    found = needs_of(child_fields, **situation_fields)
    assert {service: need.urgent for service, need in found.items()} == expected


def test_needs_come_in_service_order_and_every_one_says_why():
    result = needs(
        child(nationality_status=NationalityStatus.REFUGEE, languages=("rhg",)),
        situation(indicators=(I.SEXUAL_VIOLENCE,), interpreter_requested=True),
        IDENTIFIED,
    )
    assert [n.service for n in result] == list(ServiceType)
    assert all(n.reasons and all(r.strip() for r in n.reasons) for n in result)


def test_every_urgent_referral_says_what_made_it_urgent():
    found = needs_of(
        {"nationality_status": NationalityStatus.REFUGEE},
        location=Location.IMMIGRATION_DETENTION,
        court_date_pending=True,
    )
    for need in found.values():
        urgent_reasons = [r for r in need.reasons if r.startswith("urgent:")]
        assert bool(urgent_reasons) == need.urgent, need.service
    assert any("immigration detention" in r for r in found[S.UNHCR].reasons)
    assert any("court date" in r for r in found[S.LEGAL_AID].reasons)


def test_marriage_is_a_trafficking_indicator_on_protector_shelter_and_legal_aid_only():
    found = needs_of(indicators=(I.FORCED_OR_CHILD_MARRIAGE,))
    marked = {s for s, n in found.items() if any("never as consent" in r for r in n.reasons)}
    assert marked == {S.CHILD_PROTECTOR, S.SAFE_SHELTER, S.LEGAL_AID}
    assert any("trafficking indicator" in r for r in found[S.LEGAL_AID].reasons)


@pytest.mark.parametrize(
    ("child_fields", "phrase"),
    [
        ({"age_years": 19, "age_disputed": True}, "age disputed"),
        ({"age_years": None}, "age unknown"),
    ],
)
def test_a_child_of_uncertain_age_is_treated_as_a_child_on_every_referral(child_fields, phrase):
    found = needs_of(child_fields)
    for need in found.values():
        assert any(
            phrase in r and "treated as a child until determined otherwise" in r
            for r in need.reasons
        )


def test_a_child_of_known_age_carries_no_presumption():
    found = needs_of({"age_years": 15})
    assert not any("treated as a child" in r for n in found.values() for r in n.reasons)


def test_interpretation_names_the_languages_the_agency_lacks():
    found = needs_of({"languages": ("my", "rhg")})
    assert any("my, rhg" in r for r in found[S.INTERPRETATION].reasons)


@pytest.mark.parametrize(
    ("hours_before", "urgent", "latest_due"),
    [
        (None, True, None),
        (0, True, IDENTIFIED + timedelta(hours=72)),
        (10, True, IDENTIFIED + timedelta(hours=62)),
        (72, True, IDENTIFIED),
        (73, False, None),
    ],
)
def test_health_is_urgent_within_the_72h_prophylaxis_window(hours_before, urgent, latest_due):
    exposure = None if hours_before is None else IDENTIFIED - timedelta(hours=hours_before)
    found = needs_of(indicators=(I.SEXUAL_VIOLENCE,), sexual_violence_at=exposure)
    assert found[S.HEALTH].urgent is urgent
    assert found[S.HEALTH].latest_due == latest_due
    # Only health has a post-exposure limit.
    assert all(n.latest_due is None for s, n in found.items() if s is not S.HEALTH)


# The four children of the demo, as an officer would report them.
REFUGEE_RAID = CaseOpened(
    case_id=uuid.UUID(int=1),
    agency_id="pdrm-selangor",
    identified_at=IDENTIFIED,
    opened_at=IDENTIFIED + timedelta(minutes=2),
    child=child(
        age_years=15, nationality_status=NationalityStatus.REFUGEE, languages=("rhg", "my")
    ),
    situation=situation(
        indicators=(I.SEXUAL_EXPLOITATION,),
        location=Location.POLICE_LOCKUP,
        state=MalaysianState.SELANGOR,
        safe_place_tonight=False,
    ),
)
IMMIGRATION_DEPOT = CaseOpened(
    case_id=uuid.UUID(int=2),
    agency_id="imi-johor",
    identified_at=IDENTIFIED,
    opened_at=IDENTIFIED,
    child=child(
        age_years=None,
        gender=Gender.MALE,
        nationality_status=NationalityStatus.UNDOCUMENTED,
        languages=("my",),
    ),
    situation=situation(
        indicators=(I.FORCED_LABOUR,),
        location=Location.IMMIGRATION_DETENTION,
        state=MalaysianState.JOHOR,
        interview_scheduled=True,
    ),
)
MARRIED_AT_14 = CaseOpened(
    case_id=uuid.UUID(int=3),
    agency_id="oscc-kota-kinabalu",
    identified_at=IDENTIFIED,
    opened_at=IDENTIFIED,
    child=child(age_years=14, nationality_status=NationalityStatus.STATELESS, languages=("ms",)),
    situation=situation(
        indicators=(I.FORCED_OR_CHILD_MARRIAGE, I.SEXUAL_VIOLENCE),
        sexual_violence_at=IDENTIFIED - timedelta(hours=30),
        location=Location.HOSPITAL,
        state=MalaysianState.SABAH,
        court_date_pending=True,
    ),
)
PLANTATION = CaseOpened(
    case_id=uuid.UUID(int=4),
    agency_id="jtk-perak",
    identified_at=IDENTIFIED,
    opened_at=IDENTIFIED,
    child=child(age_years=13, gender=Gender.MALE, languages=("ms", "ta")),
    situation=situation(
        indicators=(I.FORCED_LABOUR,), location=Location.WORKPLACE, state=MalaysianState.PERAK
    ),
)

DEMO_CHILDREN = [
    pytest.param(
        REFUGEE_RAID,
        {
            S.CHILD_PROTECTOR: True,
            S.SAFE_SHELTER: True,
            S.HEALTH: False,
            S.LEGAL_AID: False,
            S.UNHCR: True,
            S.INTERPRETATION: False,
            S.PSYCHOSOCIAL: False,
        },
        id="refugee child picked up in a raid",
    ),
    pytest.param(
        IMMIGRATION_DEPOT,
        {
            S.CHILD_PROTECTOR: True,
            S.SAFE_SHELTER: True,
            S.HEALTH: False,
            S.LEGAL_AID: False,
            S.UNHCR: True,
            S.INTERPRETATION: True,
        },
        id="child in an immigration depot",
    ),
    pytest.param(
        MARRIED_AT_14,
        {
            S.CHILD_PROTECTOR: True,
            S.SAFE_SHELTER: False,
            S.HEALTH: True,
            S.LEGAL_AID: True,
            S.UNHCR: False,
            S.PSYCHOSOCIAL: True,
        },
        id="14-year-old married off",
    ),
    pytest.param(
        PLANTATION,
        dict.fromkeys(EVERY_CHILD, False),
        id="citizen child in forced labour on a plantation",
    ),
]


@pytest.mark.parametrize(("case", "expected"), DEMO_CHILDREN)
def test_demo_children_get_the_right_referrals(case, expected):
    found = {n.service: n.urgent for n in needs(case.child, case.situation, case.identified_at)}
    assert found == expected


def test_the_child_in_a_depot_is_presumed_a_child_and_the_bride_is_not_consenting():
    depot = needs(IMMIGRATION_DEPOT.child, IMMIGRATION_DEPOT.situation, IDENTIFIED)
    assert all(any("age unknown" in r for r in n.reasons) for n in depot)
    bride = {n.service: n for n in needs(MARRIED_AT_14.child, MARRIED_AT_14.situation, IDENTIFIED)}
    assert any("never as consent" in r for r in bride[S.SAFE_SHELTER].reasons)
    # Exposure 30 h before identification: prophylaxis must start within the 42 h left.
    assert bride[S.HEALTH].latest_due == IDENTIFIED + timedelta(hours=42)


@pytest.mark.parametrize(("case", "expected"), DEMO_CHILDREN)
def test_the_demo_directory_has_a_provider_for_every_demo_referral(case, expected):
    policy, directory = load_policy(DEFAULT_POLICY_FILE), load_directory(DEMO_DIRECTORY)
    facts = CaseFacts.of(case)
    routed = [
        route(
            facts,
            need,
            policy=policy,
            directory=directory,
            start=IDENTIFIED,
            now=IDENTIFIED,
            referral_id=uuid.uuid4(),
        )
        for need in needs(case.child, case.situation, case.identified_at)
    ]
    assert {r.need.service for r in routed if r.requested is not None} == set(expected)
    # Nothing about the child travels with a referral: the provider reads it, with consent.
    empty = {"age_years": None, "age_disputed": False, "gender": "unknown", "languages": []}
    for r in routed:
        if r.requested is not None:
            assert r.requested.child.model_dump(mode="json") == empty


def test_the_rohingya_child_gets_an_interpreter_and_a_shelter_who_speak_her_languages():
    policy, directory = load_policy(DEFAULT_POLICY_FILE), load_directory(DEMO_DIRECTORY)
    facts = CaseFacts.of(REFUGEE_RAID)
    chosen = {}
    for need in needs(REFUGEE_RAID.child, REFUGEE_RAID.situation, IDENTIFIED):
        routed = route(
            facts,
            need,
            policy=policy,
            directory=directory,
            start=IDENTIFIED,
            now=IDENTIFIED,
            referral_id=uuid.uuid4(),
        )
        assert routed.requested is not None
        chosen[need.service] = routed.requested.provider_id
    providers = {p.id: p for p in directory.providers}
    for service in (S.SAFE_SHELTER, S.INTERPRETATION, S.UNHCR):
        assert {"rhg", "my"} & set(providers[chosen[service]].languages), service
    assert chosen[S.CHILD_PROTECTOR] == "protector-selangor"
