"""The chained legal clocks as pure rules: what a milestone starts and stops, and when."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from lindung_contracts import LegalClockState, MilestoneKind, RecipientRole
from lindung_sla_monitor.adapters.legal_clocks import DEFAULT_POLICY, load_policy
from lindung_sla_monitor.domain.legal_clocks import (
    ClockRule,
    LegalClockPolicy,
    Milestone,
    clock_alert,
    clock_event_id,
    on_milestone,
)
from pydantic import ValidationError

CASE = uuid.UUID("5f0c7a4e-2b1d-4e8a-9c3f-6d2a1b7e9f40")
TAKEN = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
POLICY = load_policy(DEFAULT_POLICY)

CARE = Milestone(MilestoneKind.TAKEN_INTO_CARE, TAKEN)


def _started(known=None, clocks=None, milestone=CARE):
    return on_milestone(POLICY, CASE, milestone, known or {}, clocks or {})


def test_the_packaged_policy_chains_the_child_acts_limits_with_their_sources():
    clocks = POLICY.clocks
    assert clocks["before_protector"].window == timedelta(hours=12)
    assert clocks["before_protector"].source == "Child Act 2001 s.18"
    assert clocks["medical_examination"].window == timedelta(hours=48)
    assert clocks["medical_examination"].source == "Child Act 2001 s.20"
    assert "house choice" in clocks["protector_notified"].source
    assert "house choice" in clocks["legal_aid_before_court"].source


def test_taken_into_care_starts_its_three_clocks_from_when_it_happened():
    decided = _started()

    assert decided.record
    due = {c.clock: c.due_at for c in decided.started}
    assert due == {
        "protector_notified": TAKEN + timedelta(hours=1),
        "before_protector": TAKEN + timedelta(hours=12),
        "medical_examination": TAKEN + timedelta(hours=48),
    }
    assert all(c.state is LegalClockState.RUNNING for c in decided.started)
    assert decided.stopped == []


def test_the_stopping_milestone_in_time_meets_the_clock_and_leaves_the_others():
    clocks = {c.clock: c for c in _started().started}
    seen = Milestone(MilestoneKind.BROUGHT_BEFORE_PROTECTOR, TAKEN + timedelta(hours=11))

    decided = _started({CARE.kind: CARE}, clocks, seen)

    (stopped,) = decided.stopped
    assert (stopped.clock, stopped.state) == ("before_protector", LegalClockState.MET)
    assert stopped.stopped_at == seen.at
    assert decided.started == []


def test_a_milestone_after_the_time_but_before_the_alert_stops_the_clock_as_late():
    clocks = {c.clock: c for c in _started().started}
    examined = Milestone(MilestoneKind.MEDICAL_EXAMINATION_DONE, TAKEN + timedelta(hours=50))

    (stopped,) = _started({CARE.kind: CARE}, clocks, examined).stopped

    assert stopped.state is LegalClockState.LATE


def test_a_milestone_recorded_after_the_alert_still_stops_the_clock_which_stays_missed():
    clock = next(c for c in _started().started if c.clock == "medical_examination")
    missed = replace(clock, state=LegalClockState.MISSED)
    examined = Milestone(MilestoneKind.MEDICAL_EXAMINATION_DONE, TAKEN + timedelta(hours=47))

    (stopped,) = _started({CARE.kind: CARE}, {missed.clock: missed}, examined).stopped

    assert stopped.state is LegalClockState.MISSED
    assert stopped.stopped_at == examined.at


def test_a_milestone_seen_twice_changes_nothing():
    clocks = {c.clock: c for c in _started().started}

    decided = _started({CARE.kind: CARE}, clocks, Milestone(CARE.kind, TAKEN + timedelta(hours=3)))

    assert not decided.record
    assert decided.started == decided.stopped == []


def test_a_stop_recorded_before_its_start_starts_the_clock_already_stopped():
    examined = Milestone(MilestoneKind.MEDICAL_EXAMINATION_DONE, TAKEN + timedelta(hours=5))

    decided = _started({examined.kind: examined})

    states = {c.clock: c.state for c in decided.started}
    assert states["medical_examination"] is LegalClockState.MET
    assert states["before_protector"] is LegalClockState.RUNNING


def test_a_court_date_counts_back_from_the_start_of_its_day_in_malaysia():
    court = Milestone(MilestoneKind.COURT_DATE_SET, TAKEN, court_date=date(2026, 3, 20))

    (clock,) = _started(milestone=court).started

    # 13 March 00:00 in Malaysia (UTC+8) is 12 March 16:00 UTC.
    assert clock.due_at == datetime(2026, 3, 12, 16, 0, tzinfo=UTC)
    assert clock.stopped_by is MilestoneKind.LEGAL_AID_IN_PLACE


def test_a_court_date_without_its_day_starts_no_clock():
    assert _started(milestone=Milestone(MilestoneKind.COURT_DATE_SET, TAKEN)).started == []


def test_a_running_clock_raises_its_one_alert_at_its_time_and_not_before():
    clock = next(c for c in _started().started if c.clock == "medical_examination")

    assert clock_alert(clock, clock.due_at - timedelta(seconds=1)) is None
    alert = clock_alert(clock, clock.due_at)

    assert alert is not None
    assert alert.notify is RecipientRole.CASE_COORDINATOR
    assert (alert.clock, alert.source) == ("medical_examination", "Child Act 2001 s.20")
    assert alert.stopped_by is MilestoneKind.MEDICAL_EXAMINATION_DONE
    assert clock_event_id(CASE, "medical_examination") == clock_event_id(
        CASE, "medical_examination"
    )
    assert clock_event_id(CASE, "medical_examination") != clock_event_id(CASE, "before_protector")


def test_a_stopped_clock_raises_nothing():
    clocks = {c.clock: c for c in _started().started}
    seen = Milestone(MilestoneKind.BROUGHT_BEFORE_PROTECTOR, TAKEN + timedelta(hours=1))
    (stopped,) = _started({CARE.kind: CARE}, clocks, seen).stopped

    assert clock_alert(stopped, stopped.due_at + timedelta(days=1)) is None


@pytest.mark.parametrize(
    "rule",
    [
        {"starts_on": "taken_into_care", "stops_on": "taken_into_care", "window": "1h"},
        {"starts_on": "taken_into_care", "stops_on": "protector_notified"},
        {"starts_on": "taken_into_care", "stops_on": "protector_notified", "window": "1h",
         "before_court": "7d"},
        {"starts_on": "taken_into_care", "stops_on": "legal_aid_in_place", "before_court": "7d"},
        {"starts_on": "taken_into_care", "stops_on": "protector_notified", "window": "12"},
    ],
)  # fmt: skip
def test_a_rule_that_cannot_be_timed_is_refused(rule):
    with pytest.raises(ValidationError):
        LegalClockPolicy.model_validate({"version": "t", "clocks": {"x_clock": {**rule,
                                         "source": "test"}}})  # fmt: skip


def test_a_rule_parses_its_durations():
    rule = ClockRule.model_validate(
        {"starts_on": "taken_into_care", "stops_on": "protector_notified", "window": "1h30m",
         "source": "test"}
    )  # fmt: skip
    assert rule.window == timedelta(minutes=90)
