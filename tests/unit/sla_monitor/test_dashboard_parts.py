"""The dashboard's pure parts: choosing the period, drawing the charts, writing spans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from lindung_sla_monitor.dashboard import charts
from lindung_sla_monitor.dashboard.period import PeriodError, choose_period
from lindung_sla_monitor.dashboard.render import duration, left

NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
KL = ZoneInfo("Asia/Kuala_Lumpur")


def test_without_parameters_the_period_is_the_last_seven_days():
    period = choose_period(NOW, KL)

    assert (period.since, period.until, period.last) == (NOW - timedelta(days=7), NOW, "7d")
    assert period.bucket == "day"


def test_the_last_day_is_cut_by_the_hour():
    assert choose_period(NOW, KL, last="24h").bucket == "hour"


def test_every_bucket_of_the_period_is_listed_even_an_empty_one():
    day = choose_period(NOW, KL, since="2026-03-01", until="2026-03-01")
    week = choose_period(NOW, KL, since="2026-03-01", until="2026-03-07")

    assert len(day.starts(KL)) == 24
    assert day.starts(KL)[0] == datetime(2026, 3, 1, tzinfo=KL)
    assert week.starts(KL) == [datetime(2026, 3, d, tzinfo=KL) for d in range(1, 8)]
    # Starting mid-hour, the first bucket is the hour it starts in.
    assert choose_period(NOW, KL, last="24h").starts(KL)[0] == datetime(2026, 3, 1, 16, tzinfo=UTC)


def test_dates_are_whole_days_in_the_dashboard_s_zone():
    period = choose_period(NOW, KL, since="2026-03-01", until="2026-03-01")

    assert period.since == datetime(2026, 3, 1, tzinfo=KL)
    assert period.until == datetime(2026, 3, 2, tzinfo=KL)  # the whole of 1 March
    assert period.since.astimezone(UTC) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)


def test_a_time_with_its_offset_is_taken_as_given_and_until_defaults_to_now():
    period = choose_period(NOW, KL, since="2026-03-02T08:00:00+08:00")

    assert period.since == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert period.until == NOW


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"last": "2w"}, "last"),
        ({"since": "last week"}, "since"),
        ({"since": "2026-03-01T08:00"}, "since"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
        ({"since": "2025-01-01", "until": "2026-03-01"}, "since"),
        ({"until": "2026-03-01"}, "since"),
        ({"last": "7d", "since": "2026-03-01"}, "last"),
    ],
)
def test_a_bad_period_names_its_parameter(kwargs, field):
    with pytest.raises(PeriodError) as refused:
        choose_period(NOW, KL, **kwargs)

    assert refused.value.field == field


def test_bars_scale_to_the_chart_and_escape_their_labels():
    drawn = charts.bars(
        "On time",
        [charts.Bar("<script>", 0.5, "50%"), charts.Bar("over", 3.0, "300%", "bad")],
        scale=1.0,
        empty="none",
    )

    assert "<script>" not in drawn
    assert "&lt;script&gt;" in drawn
    assert 'width="100.0"' in drawn  # half of the 200 px track
    assert 'width="200.0"' in drawn  # clamped to the track, never past it
    assert 'class="bar bad"' in drawn


def test_an_empty_chart_says_so():
    assert "No referral" in charts.columns("Trend", [], empty="No referral")
    assert "Nothing" in charts.bars("Bars", [], scale=1, empty="Nothing")


def test_columns_stack_on_time_late_and_waiting():
    drawn = charts.columns(
        "Trend", [charts.Column("01 Mar", 3, 1, 0), charts.Column("02 Mar", 0, 0, 2)], empty="-"
    )

    assert drawn.count('class="bar good"') == 1
    assert drawn.count('class="bar bad"') == 1
    assert drawn.count('class="bar plain"') == 1
    assert "01 Mar: 3 on time, 1 late" in drawn


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (42, "42 s"),
        (600, "10 min"),
        (3 * 3600 + 300, "3 h 5 min"),
        (6 * 3600, "6 h"),
        (2 * 86400 + 7200, "2 d 2 h"),
        (3 * 86400, "3 d"),
    ],
)
def test_spans_read_as_people_say_them(seconds, text):
    assert duration(seconds) == text


def test_time_left_turns_into_lateness():
    assert left(-3600) == "late 1 h"
    assert left(90) == "1 min left"
