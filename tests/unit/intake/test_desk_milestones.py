"""The desk's milestone form: its times in Malaysia's, and its words in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lindung_contracts import LegalClockState, MilestoneKind
from lindung_intake.entrypoints.desk import words
from lindung_intake.entrypoints.desk.milestones import parse_local


def test_a_datetime_local_value_is_a_time_in_malaysia():
    assert parse_local("2026-03-03T06:00") == datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    assert parse_local("2026-03-03T06:00:30") == datetime(2026, 3, 2, 22, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "yesterday", "2026-03-03T06:00+08:00", "06:00"])
def test_anything_else_is_no_time(value):
    assert parse_local(value) is None


def test_every_milestone_and_clock_state_has_its_words_in_both_languages():
    keys = [f"milestone_{k.value}" for k in MilestoneKind]
    keys += [f"clockstate_{s.value}" for s in LegalClockState]
    for key in keys:
        english, malay = words._W[key]
        assert english.strip()
        assert malay.strip()
        assert english != malay
