"""Which provider gets a referral, and what happens when none is left."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lindung_contracts import ChildSummary, Gender, MalaysianState, ServiceType
from lindung_router.domain import (
    NEIGHBOURS,
    CaseFacts,
    Directory,
    Need,
    Policy,
    ReferralState,
    ReferralStatus,
    choose_provider,
    reroute,
    route,
)
from lindung_router.domain.routing import NOT_SHARED

S = ServiceType
SEL, KL, SABAH = MalaysianState.SELANGOR, MalaysianState.KUALA_LUMPUR, MalaysianState.SABAH
IDENTIFIED = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
POLICY = Policy.model_validate(
    {
        "version": "test-1",
        "windows": {s.value: {"normal": "24h", "urgent": "4h"} for s in ServiceType},
        "ladder": {"level2_min_gap": "0s"},
    }
)


def provider(pid: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": pid,
        "name": pid.title(),
        "services": ["safe_shelter"],
        "states": ["selangor"],
        "languages": ["ms"],
        "accepting": True,
        "priority": 5,
    }
    return fields | overrides


def directory(*providers: dict[str, Any]) -> Directory:
    return Directory.model_validate({"version": "d1", "providers": list(providers)})


def chosen(found: Directory, *, languages=("my",), state=SEL, tried=(), service=S.SAFE_SHELTER):
    choice = choose_provider(found, service, state=state, languages=languages, tried=tried)
    return choice.provider.id if choice.provider else None


@pytest.mark.parametrize(
    ("providers", "expected"),
    [
        pytest.param(
            [provider("b-1", priority=1), provider("a-2", languages=["my"], priority=9)],
            "a-2",
            id="speaking the child's language beats priority",
        ),
        pytest.param(
            [provider("b-1", priority=2), provider("a-1", priority=3)],
            "b-1",
            id="then lower priority",
        ),
        pytest.param(
            [provider("b-1", priority=2), provider("a-1", priority=2)],
            "a-1",
            id="then id",
        ),
        pytest.param(
            [provider("national", states=["*"], priority=9)],
            "national",
            id="a nationwide provider serves every state",
        ),
        pytest.param(
            [provider("other-service", services=["legal_aid"], priority=1), provider("z-9")],
            "z-9",
            id="only providers of the service",
        ),
        pytest.param(
            [provider("closed", accepting=False, languages=["my"], priority=0), provider("open")],
            "open",
            id="only accepting providers",
        ),
        pytest.param(
            [provider("sabah-only", states=["sabah"], priority=0), provider("sel")],
            "sel",
            id="only providers serving the child's state",
        ),
        pytest.param([provider("closed", accepting=False)], None, id="nobody accepting"),
        pytest.param([], None, id="empty directory"),
    ],
)
def test_provider_matching(providers, expected):
    assert chosen(directory(*providers)) == expected


def test_providers_already_tried_are_excluded():
    found = directory(provider("first", priority=1), provider("second", priority=2))
    assert chosen(found, tried=("first",)) == "second"
    assert chosen(found, tried=("first", "second")) is None


def test_a_child_without_languages_is_matched_on_priority():
    found = directory(provider("b-1", priority=1), provider("a-1", languages=["my"], priority=2))
    assert chosen(found, languages=()) == "b-1"


def test_the_same_inputs_always_choose_the_same_provider():
    providers = [
        provider(f"p-{n}", priority=n % 3, languages=["my"] if n % 2 else []) for n in range(9)
    ]
    forward, backward = directory(*providers), directory(*reversed(providers))
    assert chosen(forward) == chosen(backward) == "p-3"


def test_the_choice_explains_every_candidate():
    found = directory(
        provider("tried-one", priority=0),
        provider("closed", accepting=False),
        provider("far", states=["sabah"]),
        provider("winner", languages=["my"]),
        provider("runner-up"),
    )
    notes = choose_provider(
        found, S.SAFE_SHELTER, state=SEL, languages=("my",), tried=("tried-one",)
    ).notes
    assert notes == (
        "tried-one: already tried for this case",
        "closed: not accepting referrals",
        "far: serves neither selangor nor a neighbouring state",
        "chose winner: serves selangor; speaks one of the child's languages; priority 5",
        "runner-up: ranked lower",
    )


FACTS = CaseFacts(
    case_id=uuid.UUID(int=7),
    agency_id="pdrm-selangor",
    state=SEL,
    child=ChildSummary(age_years=15, age_disputed=False, gender=Gender.FEMALE, languages=("my",)),
    identified_at=IDENTIFIED,
    sexual_violence_at=None,
)
SHELTERS = directory(
    provider("shelter-a", priority=1),
    provider("shelter-b", priority=2),
    provider("shelter-c", priority=3),
)


def test_route_refers_with_the_deadline_and_ladder_of_the_policy():
    need = Need(S.SAFE_SHELTER, urgent=True, reasons=("no safe place tonight",))
    referral_id = uuid.uuid4()
    routed = route(
        FACTS,
        need,
        policy=POLICY,
        directory=SHELTERS,
        start=IDENTIFIED,
        now=IDENTIFIED,
        referral_id=referral_id,
    )
    requested = routed.requested
    assert requested is not None
    assert routed.unmet is None
    assert (requested.referral_id, requested.provider_id, requested.attempt) == (
        referral_id,
        "shelter-a",
        1,
    )
    assert (requested.requested_at, requested.due_at) == (
        IDENTIFIED,
        IDENTIFIED + timedelta(hours=4),
    )
    assert requested.policy_version == "test-1"
    assert requested.reasons == ("no safe place tonight",)
    assert requested.child == NOT_SHARED  # the provider reads the child from intake
    assert [s.at - IDENTIFIED for s in requested.escalation] == [
        timedelta(hours=h) for h in (2, 3, 4, 6, 8)
    ]


def test_route_with_nobody_available_says_so_with_the_reasons():
    need = Need(S.UNHCR, urgent=False, reasons=("refugee",))
    routed = route(
        FACTS,
        need,
        policy=POLICY,
        directory=SHELTERS,
        start=IDENTIFIED,
        now=IDENTIFIED,
        referral_id=uuid.uuid4(),
    )
    assert routed.requested is None
    assert routed.unmet is not None
    assert (routed.unmet.service, routed.unmet.reasons, routed.unmet.tried) == (
        S.UNHCR,
        ("refugee",),
        (),
    )


def previous(provider_id: str, attempt: int) -> ReferralState:
    return ReferralState(
        referral_id=uuid.uuid4(),
        case_id=FACTS.case_id,
        provider_id=provider_id,
        service=S.SAFE_SHELTER,
        status=ReferralStatus.DECLINED,
        attempt=attempt,
        urgent=True,
        reasons=("detained",),
    )


def test_reroute_asks_the_next_untried_provider_with_a_fresh_window():
    declined_at = IDENTIFIED + timedelta(hours=1)
    old = previous("shelter-a", 1)
    new_id = uuid.uuid4()
    routed, rerouted = reroute(
        FACTS,
        old,
        why="declined",
        detail="at capacity",
        policy=POLICY,
        directory=SHELTERS,
        tried=("shelter-a",),
        at=declined_at,
        now=declined_at,
        referral_id=new_id,
    )
    requested = routed.requested
    assert requested is not None
    assert rerouted is not None
    assert (requested.provider_id, requested.attempt, requested.urgent) == ("shelter-b", 2, True)
    assert (requested.requested_at, requested.due_at) == (
        declined_at,
        declined_at + timedelta(hours=4),
    )
    assert requested.reasons == ("detained", "re-routed after shelter-a declined")
    assert (rerouted.referral_id, rerouted.provider_id) == (old.referral_id, "shelter-a")
    assert (rerouted.new_referral_id, rerouted.new_provider_id) == (new_id, "shelter-b")
    assert rerouted.reason == "shelter-a declined: at capacity"
    assert rerouted.at == declined_at


@pytest.mark.parametrize(("after_miss", "reported"), [(True, False), (False, True)])
def test_a_reroute_processed_after_its_window_passed_starts_afresh(after_miss, reported):
    # The silence (4 h window, urgent) became fact at `at`; the escalation saying so came
    # 5 h later (the sla-monitor was down): the new window starts now, whole. After a miss
    # the escalation told the coordinator already: no second level-1 for the same miss.
    at = IDENTIFIED + timedelta(hours=1)
    now = at + timedelta(hours=5)
    routed, _ = reroute(
        FACTS,
        previous("shelter-a", 1),
        why="did not answer before the deadline",
        detail="no answer",
        policy=POLICY,
        directory=SHELTERS,
        tried=("shelter-a",),
        at=at,
        now=now,
        referral_id=uuid.uuid4(),
        after_miss=after_miss,
    )
    requested = routed.requested
    assert requested is not None
    assert (requested.requested_at, requested.due_at) == (now, now + timedelta(hours=4))
    assert (requested.overdue_since is not None) is reported


def test_reroute_with_every_provider_tried_gives_up_with_the_list():
    old = previous("shelter-c", 3)
    routed, rerouted = reroute(
        FACTS,
        old,
        why="declined",
        detail="no bed",
        policy=POLICY,
        directory=SHELTERS,
        tried=("shelter-a", "shelter-b", "shelter-c"),
        at=IDENTIFIED,
        now=IDENTIFIED,
        referral_id=uuid.uuid4(),
    )
    assert rerouted is None
    assert routed.requested is None
    assert routed.unmet is not None
    assert routed.unmet.tried == ("shelter-a", "shelter-b", "shelter-c")
    assert routed.unmet.reasons == ("detained",)


def test_rerouted_urgent_health_keeps_the_prophylaxis_limit():
    exposed = IDENTIFIED - timedelta(hours=71)
    facts = CaseFacts(**{**FACTS.__dict__, "sexual_violence_at": exposed})
    clinics = directory(
        provider("clinic-a", services=["health"]), provider("clinic-b", services=["health"])
    )
    old = ReferralState(
        referral_id=uuid.uuid4(),
        case_id=FACTS.case_id,
        provider_id="clinic-a",
        service=S.HEALTH,
        status=ReferralStatus.DECLINED,
        attempt=1,
        urgent=True,
        reasons=("sexual violence",),
    )
    at = IDENTIFIED + timedelta(minutes=20)
    routed, _ = reroute(
        facts,
        old,
        why="declined",
        detail="no doctor",
        policy=POLICY,
        directory=clinics,
        tried=("clinic-a",),
        at=at,
        now=at,
        referral_id=uuid.uuid4(),
    )
    assert routed.requested is not None
    assert routed.requested.due_at == exposed + timedelta(hours=72)


@pytest.mark.parametrize(
    ("providers", "expected", "matched_by"),
    [
        (
            [("national", ["*"], 1), ("next-door", ["kedah"], 9), ("local", ["penang"], 50)],
            "local",
            "serves penang",
        ),
        (
            [("national", ["*"], 1), ("next-door", ["kedah"], 9), ("far", ["johor"], 1)],
            "next-door",
            "no provider left in penang; serves neighbouring kedah",
        ),
        (
            [("national", ["*"], 9), ("far", ["johor"], 1)],
            "national",
            "no provider left in penang or next to it; serves the whole country",
        ),
    ],
    ids=["own-state-first", "then-a-neighbour", "then-national"],
)
def test_matching_falls_back_from_the_state_to_its_neighbours_to_national(
    providers, expected, matched_by
):
    found = directory(*(provider(p, states=states, priority=n) for p, states, n in providers))
    choice = choose_provider(found, S.SAFE_SHELTER, state=MalaysianState.PENANG, languages=())
    assert choice.provider is not None
    assert (choice.provider.id, choice.matched_by) == (expected, matched_by)
    assert any(note.startswith(f"chose {expected}: {matched_by}") for note in choice.notes)


def test_every_state_has_neighbours_and_they_are_mutual():
    assert set(NEIGHBOURS) == set(MalaysianState)
    for state, near in NEIGHBOURS.items():
        assert near, state
        for other in near:
            assert state in NEIGHBOURS[other], (state, other)


def _route_shelter(*, start: datetime, now: datetime):
    need = Need(S.SAFE_SHELTER, urgent=True, reasons=("no safe place tonight",))
    routed = route(
        FACTS,
        need,
        policy=POLICY,
        directory=SHELTERS,
        start=start,
        now=now,
        referral_id=uuid.uuid4(),
    )
    assert routed.requested is not None
    return routed.requested


def test_a_referral_in_time_is_not_overdue():
    requested = _route_shelter(start=IDENTIFIED, now=IDENTIFIED + timedelta(minutes=5))

    assert requested.overdue_since is None
    assert requested.requested_at == IDENTIFIED


def test_a_back_dated_identification_gets_its_window_from_now_and_says_since_when_it_is_late():
    window = POLICY.window(S.SAFE_SHELTER, urgent=True)
    identified = IDENTIFIED - timedelta(days=10)

    requested = _route_shelter(start=identified, now=IDENTIFIED)

    # The deadline counted from identification passed ten days ago: recorded, not fired
    # step by step; the provider gets its whole window from the referral.
    assert requested.overdue_since == identified + window
    assert requested.requested_at == IDENTIFIED
    assert requested.due_at == IDENTIFIED + window
    assert min(step.at for step in requested.escalation) > IDENTIFIED


def test_a_deadline_reached_exactly_now_is_overdue_too():
    window = POLICY.window(S.SAFE_SHELTER, urgent=True)

    requested = _route_shelter(start=IDENTIFIED - window, now=IDENTIFIED)

    assert requested.overdue_since == IDENTIFIED
    assert requested.due_at == IDENTIFIED + window


def test_every_referral_carries_the_case_s_package_deadline_from_identification():
    requested = _route_shelter(start=IDENTIFIED, now=IDENTIFIED)

    assert POLICY.package_window == timedelta(hours=72)
    assert requested.package_due_at == FACTS.identified_at + timedelta(hours=72)


def test_every_referral_carries_the_policy_s_acknowledgement_window_in_seconds():
    requested = _route_shelter(start=IDENTIFIED, now=IDENTIFIED)

    assert requested.acknowledgement_window_seconds == 30 * 60


def test_a_provider_in_the_child_s_district_is_asked_before_the_rest_of_the_state():
    found = directory(
        provider("state-wide", priority=1),
        provider("in-petaling", priority=9, districts=["petaling"]),
        provider("in-klang", priority=5, districts=["klang"]),
    )

    choice = choose_provider(
        found, S.SAFE_SHELTER, state=SEL, district="petaling", languages=("ms",)
    )
    without = choose_provider(found, S.SAFE_SHELTER, state=SEL, languages=("ms",))

    assert choice.provider is not None
    assert (choice.provider.id, choice.matched_by) == ("in-petaling", "serves petaling, selangor")
    # No district said: the state's providers by priority, as before.
    assert without.provider is not None
    assert (without.provider.id, without.matched_by) == ("state-wide", "serves selangor")
