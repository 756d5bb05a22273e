"""Live capacity as pure rules: what changes a figure, and how routing reads it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lindung_contracts import (
    CapacityCause,
    CapacityReported,
    CapacityUnit,
    MalaysianState,
    PassedOver,
    PassedOverCode,
    ReasonCode,
    ReferralStatus,
    ServiceType,
)
from lindung_router.domain import Directory, Policy, choose_provider
from lindung_router.domain.capacity import (
    Figure,
    accepted,
    answered,
    changed,
    declined_at_capacity,
    is_fresh,
    reported,
)

S = ServiceType
NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
HOURS_12 = timedelta(hours=12)


def figure(available: int, *, ago: timedelta = timedelta(hours=1), **more: Any) -> Figure:
    fields: dict[str, Any] = {
        "unit": CapacityUnit.BEDS,
        "available": available,
        "maximum": 10,
        "as_of": NOW - ago,
        "cause": CapacityCause.REPORTED,
    }
    return Figure(**(fields | more))


def report(available: int, *, at: datetime, maximum: int | None = 10) -> CapacityReported:
    return CapacityReported(
        report_id=uuid.uuid4(),
        provider_id="shelter-a",
        service=S.SAFE_SHELTER,
        unit=CapacityUnit.BEDS,
        available=available,
        maximum=maximum,
        at=at,
        reported_by="key-1",
    )


# --- what changes a figure ---------------------------------------------------------------


def test_a_first_report_is_the_figure():
    new = reported(None, report(3, at=NOW))
    assert new == Figure(CapacityUnit.BEDS, 3, 10, NOW, CapacityCause.REPORTED)


@pytest.mark.parametrize(("later", "kept"), [(timedelta(0), False), (timedelta(seconds=1), True)])
def test_a_report_no_newer_than_the_figure_changes_nothing(later, kept):
    current = figure(5, ago=timedelta(0))
    new = reported(current, report(1, at=NOW + later))
    assert (new is not None) is kept


def test_a_decline_at_capacity_leaves_none_free_in_the_same_unit():
    new = declined_at_capacity(figure(4), S.SAFE_SHELTER, at=NOW)
    assert new == Figure(CapacityUnit.BEDS, 0, 10, NOW, CapacityCause.DECLINED_AT_CAPACITY)


@pytest.mark.parametrize(("service", "unit"), [(S.SAFE_SHELTER, "beds"), (S.HEALTH, "places")])
def test_a_decline_without_a_figure_uses_the_services_unit(service, unit):
    new = declined_at_capacity(None, service, at=NOW)
    assert new is not None
    assert (new.unit.value, new.available, new.maximum) == (unit, 0, None)


def test_a_decline_older_than_a_report_changes_nothing():
    assert declined_at_capacity(figure(2, ago=timedelta(0)), S.SAFE_SHELTER, at=NOW) is None
    later = NOW - timedelta(minutes=5)
    assert declined_at_capacity(figure(2, ago=timedelta(0)), S.SAFE_SHELTER, at=later) is None


def test_a_second_decline_of_a_shelter_already_full_by_a_decline_changes_nothing():
    full = figure(0, cause=CapacityCause.DECLINED_AT_CAPACITY)
    assert declined_at_capacity(full, S.SAFE_SHELTER, at=NOW) is None


def test_an_acceptance_takes_one_place_and_keeps_the_figures_time():
    current = figure(2)
    new = accepted(current, at=NOW, stale_after=HOURS_12)
    assert new is not None
    assert (new.available, new.as_of, new.cause) == (
        1,
        current.as_of,
        CapacityCause.ACCEPTED_REFERRAL,
    )


@pytest.mark.parametrize(
    "current",
    [
        None,  # unknown
        figure(2, ago=timedelta(hours=13)),  # stale
        figure(0),  # none to take
        figure(2, ago=-timedelta(minutes=1)),  # reported after the acceptance: counted there
    ],
)
def test_an_acceptance_takes_nothing_from_a_figure_it_cannot_count_on(current):
    assert accepted(current, at=NOW, stale_after=HOURS_12) is None


def test_an_acceptance_counts_from_the_maximum_when_more_were_reported():
    new = accepted(figure(12, maximum=3), at=NOW, stale_after=HOURS_12)
    assert new is not None
    assert new.available == 2


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (ReferralStatus.DECLINED, ReasonCode.AT_CAPACITY, 0),
        (ReferralStatus.DECLINED, ReasonCode.LANGUAGE, None),
        (ReferralStatus.FAILED, ReasonCode.AT_CAPACITY, None),
        (ReferralStatus.ACCEPTED, None, 2),
        (ReferralStatus.IN_PROGRESS, None, None),
    ],
)
def test_which_answers_change_the_figure(status, reason, expected):
    new = answered(
        figure(3), S.SAFE_SHELTER, status=status, reason=reason, at=NOW, stale_after=HOURS_12
    )
    assert (new.available if new is not None else None) == expected


def test_freshness_ends_at_stale_after():
    assert is_fresh(figure(1, ago=HOURS_12), now=NOW, stale_after=HOURS_12)
    assert not is_fresh(
        figure(1, ago=HOURS_12 + timedelta(seconds=1)), now=NOW, stale_after=HOURS_12
    )
    assert not is_fresh(None, now=NOW, stale_after=HOURS_12)


def test_the_event_carries_the_providers_states_and_when_the_figure_goes_stale():
    found = directory(provider("shelter-a", states=["sabah", "labuan"]))
    event = changed(
        "shelter-a",
        S.SAFE_SHELTER,
        figure(2),
        provider=found.providers[0],
        stale_after=HOURS_12,
    )
    assert event.states == (MalaysianState.SABAH, MalaysianState.LABUAN)
    assert event.fresh_until == NOW - timedelta(hours=1) + HOURS_12
    assert event.kafka_key() == "shelter-a"
    unknown = changed("gone", S.SAFE_SHELTER, figure(2), provider=None, stale_after=HOURS_12)
    assert unknown.states == ()


# --- how routing reads figures ----------------------------------------------------------


def provider(pid: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": pid,
        "name": pid.title(),
        "services": ["safe_shelter"],
        "states": ["selangor"],
        "languages": ["ms"],
        "priority": 5,
    }
    return fields | overrides


def directory(*providers: dict[str, Any]) -> Directory:
    return Directory.model_validate({"version": "d1", "providers": list(providers)})


SHELTERS = directory(provider("first", priority=1), provider("second", priority=2))


def choose(figures: dict[str, Figure], found: Directory = SHELTERS, languages=("ms",), **more):
    return choose_provider(
        found,
        S.SAFE_SHELTER,
        state=MalaysianState.SELANGOR,
        languages=languages,
        capacity=figures,
        now=NOW,
        stale_after=HOURS_12,
        **more,
    )


def test_a_provider_full_by_a_fresh_figure_is_passed_over_at_capacity():
    choice = choose({"first": figure(0)})
    assert choice.provider is not None
    assert choice.provider.id == "second"
    assert choice.passed_over == (
        PassedOver(provider_id="first", reason=PassedOverCode.AT_CAPACITY),
    )
    assert "first: no place free" in choice.notes


def test_every_provider_full_leaves_nobody():
    assert choose({"first": figure(0), "second": figure(0)}).provider is None


def test_a_stale_zero_is_unknown():
    choice = choose({"first": figure(0, ago=timedelta(hours=13))})
    assert choice.provider is not None
    assert choice.provider.id == "first"


def test_a_maximum_of_zero_is_full_whatever_was_reported():
    choice = choose({"first": figure(3, maximum=0)})
    assert choice.provider is not None
    assert choice.provider.id == "second"


@pytest.mark.parametrize(
    "first",
    [None, figure(2, ago=timedelta(hours=13))],
    ids=["unknown", "stale"],
)
def test_fresh_free_places_rank_before_an_unknown_or_stale_figure(first):
    figures = {"second": figure(1)} | ({"first": first} if first is not None else {})
    choice = choose(figures)
    assert choice.provider is not None
    assert choice.provider.id == "second"
    assert choice.passed_over == ()  # ranked lower, not kept out for a reason


def test_places_do_not_outrank_the_childs_language_or_nearness():
    found = directory(
        provider("speaks", priority=9),
        provider("other-tongue", languages=["en"], priority=1),
        provider("far", states=["perak"], priority=1),
    )
    figures = {"other-tongue": figure(5), "far": figure(5)}
    choice = choose(figures, found)
    assert choice.provider is not None
    assert choice.provider.id == "speaks"
    assert choice.passed_over == (
        PassedOver(provider_id="other-tongue", reason=PassedOverCode.WRONG_LANGUAGE),
    )


def test_without_the_time_figures_are_not_read():
    choice = choose_provider(
        SHELTERS,
        S.SAFE_SHELTER,
        state=MalaysianState.SELANGOR,
        languages=("ms",),
        capacity={"first": figure(0)},
    )
    assert choice.provider is not None
    assert choice.provider.id == "first"


def test_the_policy_reads_stale_after_and_refuses_nothing_else():
    windows = {s.value: {"normal": "24h", "urgent": "4h"} for s in ServiceType}
    policy = Policy.model_validate(
        {"version": "p", "windows": windows, "capacity": {"stale_after": "6h"}}
    )
    assert policy.capacity.stale_after == timedelta(hours=6)
    assert Policy.model_validate({"version": "p", "windows": windows}).capacity.stale_after == (
        HOURS_12
    )
    for bad in ({"stale_after": "0s"}, {"stale_after": 12}, {"stale": "1h"}):
        with pytest.raises(ValueError, match="stale"):
            Policy.model_validate({"version": "p", "windows": windows, "capacity": bad})
