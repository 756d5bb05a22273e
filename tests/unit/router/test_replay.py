"""Replaying a recorded case under a draft policy and directory: each difference, and no other."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from lindung_contracts import (
    CaseOpened,
    ChildProfile,
    Gender,
    Location,
    MalaysianState,
    NationalityStatus,
    ServiceType,
    Situation,
)
from lindung_router.domain import CaseFacts, Directory, Policy, needs, route
from lindung_router.domain.replay import (
    Change,
    Decided,
    Difference,
    Recorded,
    Tally,
    replay_case,
    routed_at,
)

S = ServiceType
IDENTIFIED = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
OPENED = IDENTIFIED + timedelta(minutes=2)


def policy(version: str = "live", **windows: str) -> Policy:
    chosen = {s.value: {"normal": "24h", "urgent": "4h"} for s in ServiceType}
    chosen |= {service: {"normal": normal, "urgent": "1h"} for service, normal in windows.items()}
    return Policy.model_validate({"version": version, "windows": chosen})


def directory(*dropped: str) -> Directory:
    providers = [
        {"id": "protector", "name": "P", "services": ["child_protector"], "states": ["selangor"]},
        {"id": "shelter-a", "name": "A", "services": ["safe_shelter"], "states": ["selangor"],
         "priority": 1},
        {"id": "shelter-b", "name": "B", "services": ["safe_shelter"], "states": ["selangor"],
         "priority": 2},
        {"id": "clinic", "name": "C", "services": ["health"], "states": ["*"]},
        {"id": "legal", "name": "L", "services": ["legal_aid"], "states": ["*"]},
    ]  # fmt: skip
    kept = [p for p in providers if p["id"] not in dropped]
    return Directory.model_validate({"version": "d", "providers": kept})


def case(**situation: Any) -> CaseOpened:
    fields: dict[str, Any] = {"location": Location.COMMUNITY, "state": MalaysianState.SELANGOR}
    return CaseOpened(
        case_id=uuid.UUID(int=7),
        agency_id="pdrm-selangor",
        identified_at=IDENTIFIED,
        opened_at=OPENED,
        child=ChildProfile(
            age_years=12,
            gender=Gender.FEMALE,
            nationality_status=NationalityStatus.CITIZEN,
            languages=("ms",),
        ),
        situation=Situation(**(fields | situation)),
    )


def recorded(opened: CaseOpened, *, now: datetime = OPENED, **accepted: datetime) -> Recorded:
    """The case as the router decided it under the live policy and directory."""
    facts = CaseFacts.of(opened)
    decided = []
    for need in needs(opened.child, opened.situation, facts.identified_at):
        request = route(
            facts,
            need,
            policy=policy(),
            directory=directory(),
            start=facts.identified_at,
            now=now,
            referral_id=uuid.uuid4(),
        ).requested
        assert request is not None
        decided.append(
            Decided(
                need.service,
                request.provider_id,
                urgent=request.urgent,
                due_at=request.due_at,
                requested_at=request.requested_at,
                accepted_at=accepted.get(need.service.value),
            )
        )
    return Recorded(opened, tuple(decided))


def lines(found: list[Difference]) -> list[str]:
    return [d.line() for d in found]


def test_the_live_policy_and_directory_change_nothing():
    assert replay_case(recorded(case()), policy=policy(), directory=directory()) == []


def test_a_shorter_window_moves_the_due_time_of_that_service_only():
    found = replay_case(recorded(case()), policy=policy(legal_aid="12h"), directory=directory())
    assert lines(found) == [
        (
            "case 00000000-0000-0000-0000-000000000007 legal_aid: due "
            "2026-03-03T22:30:00Z -> 2026-03-03T10:30:00Z (-12h)"
        )
    ]


def test_an_acceptance_after_the_draft_deadline_is_a_deadline_missed():
    late = IDENTIFIED + timedelta(hours=20)
    early = IDENTIFIED + timedelta(hours=2)
    found = replay_case(
        recorded(case(), legal_aid=late, health=early),
        policy=policy(legal_aid="12h", health="12h"),
        directory=directory(),
    )
    missed = [d for d in found if d.change is Change.MISSED]
    assert [(d.service, d.before, d.after) for d in missed] == [
        (S.LEGAL_AID, "2026-03-03T18:30:00Z", "2026-03-03T10:30:00Z")
    ]
    assert (
        missed[0]
        .line()
        .endswith(
            "legal_aid: deadline would have been missed: "
            "accepted 2026-03-03T18:30:00Z, draft due 2026-03-03T10:30:00Z"
        )
    )


def test_a_longer_window_meets_a_deadline_that_was_missed():
    late = IDENTIFIED + timedelta(hours=30)
    found = replay_case(
        recorded(case(), legal_aid=late), policy=policy(legal_aid="48h"), directory=directory()
    )
    assert [d.change for d in found] == [Change.DUE, Change.MET]


def test_a_deadline_missed_already_is_no_change():
    late = IDENTIFIED + timedelta(hours=30)
    found = replay_case(
        recorded(case(), legal_aid=late), policy=policy(legal_aid="12h"), directory=directory()
    )
    assert [d.change for d in found] == [Change.DUE]


def test_an_acceptance_known_only_by_its_later_status_may_have_missed():
    before = recorded(case())
    moved_on = tuple(
        replace(d, accepted_by=IDENTIFIED + timedelta(hours=20)) if d.service is S.LEGAL_AID else d
        for d in before.decided
    )
    found = replay_case(
        Recorded(before.case, moved_on), policy=policy(legal_aid="12h"), directory=directory()
    )
    assert [d.change for d in found] == [Change.DUE, Change.MAYBE_MISSED]
    assert "accepted at or before 2026-03-03T18:30:00Z" in found[1].line()


def test_a_provider_dropped_from_the_directory_gives_the_next_one():
    found = replay_case(recorded(case()), policy=policy(), directory=directory("shelter-a"))
    assert lines(found) == [
        "case 00000000-0000-0000-0000-000000000007 safe_shelter: provider shelter-a -> shelter-b"
    ]


def test_a_service_nobody_offers_in_the_draft_has_no_provider_and_no_due_time():
    found = replay_case(recorded(case()), policy=policy(), directory=directory("clinic"))
    assert [(d.service, d.change, d.before, d.after) for d in found] == [
        (S.HEALTH, Change.PROVIDER, "clinic", "(no provider)")
    ]


def test_services_added_dropped_and_urgency_changed_against_the_record():
    before = recorded(case())
    decided = [d for d in before.decided if d.service is not S.HEALTH]
    decided = [replace(d, urgent=True) if d.service is S.LEGAL_AID else d for d in decided]
    decided.append(Decided(S.UNHCR, "unhcr-1", urgent=False))
    found = replay_case(
        Recorded(before.case, tuple(decided)), policy=policy(), directory=directory()
    )
    assert sorted((d.service, d.change) for d in found) == sorted(
        [(S.HEALTH, Change.ADDED), (S.LEGAL_AID, Change.URGENCY), (S.UNHCR, Change.DROPPED)]
    )
    text = "\n".join(lines(found))
    assert "health: service added (normal, clinic, due 2026-03-03T22:30:00Z)" in text
    assert "legal_aid: urgency urgent -> normal" in text
    assert "unhcr: service dropped (was unhcr-1)" in text


def test_a_case_routed_late_is_replayed_at_the_time_it_was_routed():
    routed = IDENTIFIED + timedelta(hours=30)
    late = recorded(case(), now=routed)
    assert {d.requested_at for d in late.decided} == {routed}
    assert routed_at(late) == routed
    assert routed_at(recorded(case())) == OPENED
    # Every window had passed by then, the draft's too: each runs from then.
    found = replay_case(late, policy=policy(legal_aid="12h"), directory=directory())
    assert lines(found) == [
        (
            "case 00000000-0000-0000-0000-000000000007 legal_aid: due "
            "2026-03-05T04:30:00Z -> 2026-03-04T16:30:00Z (-12h)"
        )
    ]


def test_the_summary_counts_each_kind():
    found = replay_case(
        recorded(case()), policy=policy(legal_aid="12h"), directory=directory("shelter-a")
    )
    line = Tally.of(1, 2, found).line()
    assert line.startswith(
        "summary: 1 cases replayed (2 without a recorded decision, left out); 2 differences:"
    )
    assert "1 providers changed," in line
    assert "1 due times moved," in line
    assert "0 deadlines would have been missed" in line
