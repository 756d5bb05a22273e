"""Who holds a role's alert: shifts over midnight, state holidays, stand-ins, the role."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import holidays
import pytest
from lindung_contracts import MalaysianState
from lindung_notifier.domain import (
    MALAYSIA,
    Holder,
    HolidayCalendar,
    RotaFile,
    Why,
    holders,
    next_holder,
    on_duty,
)
from lindung_notifier.domain.oncall import SUBDIVISIONS

CALENDAR = HolidayCalendar()
# Pesta Kaamatan 2026, Saturday 30 May: a public holiday in Sabah, a working Saturday in
# Selangor (`holidays` 0.109 names it so; the tests below check it rather than trust it).
KAAMATAN = date(2026, 5, 30)
# Malaysia Day 2026, Wednesday 16 September: national.
MALAYSIA_DAY = date(2026, 9, 16)


def _person(name: str) -> dict[str, Any]:
    return {"name": name, "webhook_url": f"https://jkm.example/{name}"}


def _rotas(**shifts: list[dict[str, Any]]) -> RotaFile:
    """Case coordinators' rotas per state, from shifts."""
    people = {"day", "night", "holiday-duty", "lead", "deputy"}
    return RotaFile.model_validate(
        {
            "people": {p: _person(p) for p in people},
            "rotas": {"case_coordinator": {s: {"shifts": v} for s, v in shifts.items()}},
        }
    )


WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY = {"person": "day", "days": WEEK[:5], "start": "08:00", "end": "18:00", "stand_ins": ["lead"]}
NIGHT = {"person": "night", "days": WEEK, "start": "18:00", "end": "08:00", "stand_ins": ["deputy"]}
HOLIDAY_DUTY = {
    "person": "holiday-duty",
    "days": ["public_holiday"],
    "start": "00:00",
    "end": "00:00",
    "stand_ins": ["lead"],
}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant given in Malaysia's time, as the notifier's UTC clock reads it."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=MALAYSIA)
    return local.astimezone(UTC)


SABAH, SELANGOR = MalaysianState.SABAH, MalaysianState.SELANGOR


def who(rotas: RotaFile, state: MalaysianState | None, instant: datetime) -> tuple[Holder, ...]:
    """The case coordinator's holders."""
    return holders(rotas, "case_coordinator", state, instant, CALENDAR)


def first(chain: tuple[Holder, ...]) -> Holder:
    return chain[0]


def test_every_state_maps_to_a_subdivision_of_the_holidays_package():
    assert set(SUBDIVISIONS) == set(MalaysianState)
    assert set(SUBDIVISIONS.values()) == set(holidays.country_holidays("MY").subdivisions)


def test_pesta_kaamatan_is_sabahs_holiday_and_malaysia_day_is_everyones():
    assert CALENDAR.is_holiday(MalaysianState.SABAH, KAAMATAN)
    assert not CALENDAR.is_holiday(MalaysianState.SELANGOR, KAAMATAN)
    assert "Kaamatan" in (CALENDAR.name(MalaysianState.SABAH, KAAMATAN) or "")
    for state in MalaysianState:
        assert CALENDAR.is_holiday(state, MALAYSIA_DAY), state


def test_a_weekday_shift_holds_the_alert_in_its_hours_only():
    rotas = _rotas(sabah=[DAY])
    tuesday = date(2026, 12, 1)

    assert first(who(rotas, SABAH, at(tuesday, 9))) == Holder("day", Why.ON_DUTY)
    assert who(rotas, SABAH, at(tuesday, 18)) == (Holder(None, Why.NO_ONE_ON_DUTY),)


@pytest.mark.parametrize(
    ("day", "hour", "minute"),
    [
        (date(2026, 12, 4), 18, 0),  # Friday evening, as it starts
        (date(2026, 12, 4), 23, 59),
        (date(2026, 12, 5), 0, 0),  # past midnight: still Friday's shift
        (date(2026, 12, 5), 7, 59),
    ],
)
def test_an_overnight_shift_holds_the_alert_past_midnight(day, hour, minute):
    rotas = _rotas(sabah=[DAY, NIGHT])

    chain = who(rotas, SABAH, at(day, hour, minute))

    assert chain == (
        Holder("night", Why.ON_DUTY),
        Holder("deputy", Why.STAND_IN),
        Holder(None, Why.LAST_RESORT),
    )


def test_an_overnight_shift_ends_at_its_end():
    rotas = _rotas(sabah=[NIGHT])
    saturday = date(2026, 12, 5)

    assert who(rotas, SABAH, at(saturday, 8)) == (Holder(None, Why.NO_ONE_ON_DUTY),)


def test_an_overnight_shift_past_midnight_belongs_to_the_day_it_started():
    # Friday night only: Saturday night is nobody's, though 02:00 Sunday is after 18:00.
    rotas = _rotas(sabah=[{**NIGHT, "days": ["fri"]}])

    saturday_2am = at(date(2026, 12, 5), 2)
    sunday_2am = at(date(2026, 12, 6), 2)

    assert first(who(rotas, SABAH, saturday_2am)).person_id == "night"
    assert first(who(rotas, SABAH, sunday_2am)).person_id is None


def test_on_a_sabah_only_holiday_the_night_shift_passes_to_holiday_duty_in_sabah_only():
    rotas = _rotas(sabah=[DAY, NIGHT, HOLIDAY_DUTY], selangor=[DAY, NIGHT, HOLIDAY_DUTY])
    two_am = at(KAAMATAN, 2)  # Saturday, 02:00: Friday's night shift is on

    sabah = who(rotas, SABAH, two_am)
    selangor = who(rotas, SELANGOR, two_am)

    assert sabah == (
        Holder("holiday-duty", Why.ON_DUTY),
        Holder("lead", Why.STAND_IN),  # the holiday duty's own stand-in first
        Holder("deputy", Why.STAND_IN),  # then the night shift's, whose person is off
        Holder(None, Why.LAST_RESORT),
    )
    assert selangor[0] == Holder("night", Why.ON_DUTY)  # a working Saturday there


def test_on_a_national_holiday_every_state_passes_to_its_holiday_cover():
    rotas = _rotas(sabah=[DAY, HOLIDAY_DUTY], selangor=[DAY, HOLIDAY_DUTY])
    ten_am = at(MALAYSIA_DAY, 10)  # a Wednesday: the day shift would be on

    for state in (MalaysianState.SABAH, MalaysianState.SELANGOR):
        chain = who(rotas, state, ten_am)
        assert [h.person_id for h in chain] == ["holiday-duty", "lead", None]


def test_a_person_who_does_not_work_holidays_passes_to_their_stand_in():
    rotas = _rotas(sabah=[NIGHT])

    chain = who(rotas, SABAH, at(KAAMATAN, 2))

    assert chain == (Holder("deputy", Why.STAND_IN), Holder(None, Why.LAST_RESORT))


def test_a_shift_that_works_holidays_keeps_its_person():
    rotas = _rotas(sabah=[{**NIGHT, "public_holidays": True}])

    chain = who(rotas, SABAH, at(KAAMATAN, 2))

    assert chain[0] == Holder("night", Why.ON_DUTY)


def test_no_one_on_duty_leaves_the_alert_to_the_role_endpoint():
    rotas = _rotas(sabah=[DAY])
    sunday_noon = at(date(2026, 12, 6), 12)

    assert who(rotas, SABAH, sunday_noon) == (Holder(None, Why.NO_ONE_ON_DUTY),)


def test_a_state_without_a_rota_or_an_unknown_state_goes_to_the_role_endpoint():
    rotas = _rotas(sabah=[DAY])
    tuesday = at(date(2026, 12, 1), 9)

    assert who(rotas, MalaysianState.JOHOR, tuesday) == (Holder(None, Why.NO_ROTA),)
    assert holders(rotas, "supervisor", SABAH, tuesday, CALENDAR) == (Holder(None, Why.NO_ROTA),)
    assert who(rotas, None, tuesday) == (Holder(None, Why.STATE_UNKNOWN),)


def test_someone_on_two_shifts_or_standing_in_for_themselves_holds_it_once():
    rotas = _rotas(sabah=[DAY, {**DAY, "stand_ins": ["day", "lead"]}])

    rota = rotas.rota("case_coordinator", SABAH)
    assert rota is not None

    chain = on_duty(rota, at(date(2026, 12, 1), 9), lambda _: False)

    assert [h.person_id for h in chain] == ["day", "lead", None]


def test_the_next_holder_follows_the_chain_to_its_end():
    chain = (Holder("night", Why.ON_DUTY), Holder(None, Why.LAST_RESORT))

    assert next_holder(chain, 0) == (1, Holder(None, Why.LAST_RESORT))
    assert next_holder(chain, 1) is None


def test_the_decision_reads_the_instant_in_malaysias_time_whatever_its_zone():
    rotas = _rotas(sabah=[DAY])
    # 01:00 UTC on a Tuesday is 09:00 in Malaysia.
    utc = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    elsewhere = utc.astimezone(MALAYSIA) - timedelta(0)

    assert first(who(rotas, SABAH, utc)).person_id == "day"
    assert who(rotas, SABAH, elsewhere)[0].person_id == "day"
