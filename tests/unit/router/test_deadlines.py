"""Deadlines and escalation ladders, from the policy (DESIGN.md, Deadlines and Escalation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lindung_contracts import RecipientRole, ServiceType, StepKind
from lindung_router.adapters.config_files import load_policy
from lindung_router.domain import Ladder, due_time, escalation_ladder
from lindung_router.settings import DEFAULT_POLICY_FILE

S = ServiceType
START = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
SEC = timedelta(seconds=1)
DEFAULT = load_policy(DEFAULT_POLICY_FILE)
DEMO = load_policy(Path(__file__).parents[3] / "deploy" / "demo" / "policy.toml")

# DESIGN.md's deadline table: (service, normal, urgent)
DESIGN_WINDOWS = [
    (S.CHILD_PROTECTOR, 1 * H, 15 * M),
    (S.SAFE_SHELTER, 24 * H, 4 * H),
    (S.HEALTH, 48 * H, 2 * H),
    (S.LEGAL_AID, 72 * H, 24 * H),
    (S.UNHCR, 72 * H, 24 * H),
    (S.INTERPRETATION, 12 * H, 2 * H),
    (S.PSYCHOSOCIAL, 7 * 24 * H, 48 * H),
]
DEMO_WINDOWS = [
    (S.CHILD_PROTECTOR, 20 * SEC, 15 * SEC),
    (S.SAFE_SHELTER, 30 * SEC, 20 * SEC),
    (S.HEALTH, 30 * SEC, 20 * SEC),
    (S.LEGAL_AID, 40 * SEC, 25 * SEC),
    (S.UNHCR, 40 * SEC, 25 * SEC),
    (S.INTERPRETATION, 30 * SEC, 20 * SEC),
    (S.PSYCHOSOCIAL, 45 * SEC, 30 * SEC),
]


@pytest.mark.parametrize(("service", "normal", "urgent"), DESIGN_WINDOWS)
def test_default_policy_deadlines_are_designs(service, normal, urgent):
    assert due_time(DEFAULT, service, urgent=False, start=START) == START + normal
    assert due_time(DEFAULT, service, urgent=True, start=START) == START + urgent


@pytest.mark.parametrize(("service", "normal", "urgent"), DEMO_WINDOWS)
def test_demo_policy_deadlines_are_seconds(service, normal, urgent):
    assert due_time(DEMO, service, urgent=False, start=START) == START + normal
    assert due_time(DEMO, service, urgent=True, start=START) == START + urgent


@pytest.mark.parametrize(
    ("exposure_before_start", "expected_due"),
    [
        pytest.param(10 * H, START + 2 * H, id="plenty of prophylaxis time: 2 h window"),
        pytest.param(70 * H, START + 2 * H, id="exactly 2 h left: same"),
        pytest.param(71 * H, START + 1 * H, id="1 h left: deadline is the end of the 72 h"),
        pytest.param(72 * H - 5 * M, START + 5 * M, id="5 min left"),
        pytest.param(80 * H, START, id="already past: never before the window starts"),
    ],
)
def test_urgent_health_deadline_never_outlasts_post_exposure_prophylaxis(
    exposure_before_start, expected_due
):
    pep_end = START - exposure_before_start + 72 * H
    due = due_time(DEFAULT, S.HEALTH, urgent=True, start=START, latest=pep_end)
    assert due == expected_due


def ladder_offsets(ladder, window):
    steps = escalation_ladder(ladder, start=START, due=START + window)
    return [(s.kind, s.level, s.percent_of_window, s.at - START, s.notify) for s in steps]


W, E = StepKind.WARNING, StepKind.ESCALATION
P, C = RecipientRole.PROVIDER, RecipientRole.CASE_COORDINATOR
SUP, SEC_ = RecipientRole.SUPERVISOR, RecipientRole.SECRETARIAT


@pytest.mark.parametrize(
    ("ladder", "window", "expected"),
    [
        pytest.param(
            DEFAULT.ladder,
            48 * H,
            [
                (W, 0, 50, 24 * H, P),
                (W, 0, 75, 36 * H, C),
                (E, 1, 100, 48 * H, C),
                (E, 2, 150, 72 * H, SUP),
                (E, 3, 200, 96 * H, SEC_),
            ],
            id="health 48 h: half and whole window after the deadline",
        ),
        pytest.param(
            DEFAULT.ladder,
            4 * H,
            [
                (W, 0, 50, 2 * H, P),
                (W, 0, 75, 3 * H, C),
                (E, 1, 100, 4 * H, C),
                (E, 2, 150, 6 * H, SUP),
                (E, 3, 200, 8 * H, SEC_),
            ],
            id="urgent shelter 4 h",
        ),
        pytest.param(
            DEFAULT.ladder,
            1 * H,
            [
                (W, 0, 50, 30 * M, P),
                (W, 0, 75, 45 * M, C),
                (E, 1, 100, 1 * H, C),
                (E, 2, 200, 2 * H, SUP),
                (E, 3, 250, 150 * M, SEC_),
            ],
            id="protector 1 h: level 2 at least 1 h after, level 3 after level 2",
        ),
        pytest.param(
            DEFAULT.ladder,
            15 * M,
            [
                (W, 0, 50, 450 * SEC, P),
                (W, 0, 75, 675 * SEC, C),
                (E, 1, 100, 15 * M, C),
                (E, 2, 500, 75 * M, SUP),
                (E, 3, 550, 4950 * SEC, SEC_),
            ],
            id="urgent protector 15 min: minimum gap dominates",
        ),
        pytest.param(
            DEMO.ladder,
            20 * SEC,
            [
                (W, 0, 50, 10 * SEC, P),
                (W, 0, 75, 15 * SEC, C),
                (E, 1, 100, 20 * SEC, C),
                (E, 2, 150, 30 * SEC, SUP),
                (E, 3, 200, 40 * SEC, SEC_),
            ],
            id="demo protector 20 s: no minimum gap",
        ),
        pytest.param(
            Ladder(warning_percents=(25, 50, 90), level2_min_gap=timedelta(0)),
            100 * M,
            [
                (W, 0, 25, 25 * M, P),
                (W, 0, 50, 50 * M, C),
                (W, 0, 90, 90 * M, C),
                (E, 1, 100, 100 * M, C),
                (E, 2, 150, 150 * M, SUP),
                (E, 3, 200, 200 * M, SEC_),
            ],
            id="three warnings: only the first to the provider",
        ),
    ],
)
def test_escalation_ladder(ladder, window, expected):
    assert ladder_offsets(ladder, window) == expected


@pytest.mark.parametrize("policy", [DEFAULT, DEMO], ids=["default", "demo"])
@pytest.mark.parametrize("service", list(ServiceType))
@pytest.mark.parametrize("urgent", [False, True])
def test_every_ladder_climbs_in_time_order(policy, service, urgent):
    due = due_time(policy, service, urgent=urgent, start=START)
    steps = escalation_ladder(policy.ladder, start=START, due=due)
    times = [s.at for s in steps]
    assert times == sorted(times)
    assert len(set(times)) == len(times), "two rungs at the same moment"
    assert [s.level for s in steps if s.kind is StepKind.ESCALATION] == [1, 2, 3]
    assert next(s.at for s in steps if s.level == 1) == due


def test_a_deadline_already_reached_escalates_at_once():
    steps = escalation_ladder(DEFAULT.ladder, start=START, due=START)
    assert [s.at for s in steps][:3] == [START, START, START]
    assert steps[3].at == START + H  # level 2 still waits for the minimum gap
    assert [s.percent_of_window for s in steps] == [50, 75, 100, 150, 200]
