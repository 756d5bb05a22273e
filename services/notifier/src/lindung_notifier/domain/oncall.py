"""Who holds a role's alert in a state at an instant: on duty, their stand-ins, the role.

The decision is pure: the rota, the instant and the state's public holidays are
arguments. Public holidays are the `holidays` package's, per Malaysian subdivision
(ISO 3166-2:MY), never a list typed here: a state's own holidays (Pesta Kaamatan in
Sabah, Hari Gawai in Sarawak) count only there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import holidays
from lindung_contracts import MALAYSIA_TIME, STATE_ISO_CODES, MalaysianState

from .rota import WEEKDAYS, Day

if TYPE_CHECKING:
    from collections.abc import Callable

    from .rota import Rota, RotaFile, Shift

__all__ = [
    "MALAYSIA",
    "SUBDIVISIONS",
    "Holder",
    "HolidayCalendar",
    "Why",
    "holders",
    "next_holder",
    "on_duty",
]

MALAYSIA = MALAYSIA_TIME

# Each state and federal territory as the `holidays` package's subdivision (ISO 3166-2:MY).
SUBDIVISIONS = {state: code.removeprefix("MY-") for state, code in STATE_ISO_CODES.items()}


class Why(StrEnum):
    """Why a holder holds the alert; kept with each delivery for the audit."""

    ON_DUTY = "on_duty"  # their shift covers the instant
    STAND_IN = "stand_in"  # for someone off (a holiday) or not reached
    LAST_RESORT = "last_resort"  # the role's endpoint, after everyone on the rota
    NO_ONE_ON_DUTY = "no_one_on_duty"  # the role's endpoint: no shift covers the instant
    NO_ROTA = "no_rota"  # the role's endpoint: the role has no rota in the state
    STATE_UNKNOWN = "state_unknown"  # the role's endpoint: the case's state is not known


@dataclass(frozen=True, slots=True)
class Holder:
    """One holder in order: a person by id, or (`person_id` None) the role's own endpoint."""

    person_id: str | None
    why: Why


class HolidayCalendar:
    """Malaysia's public holidays per state, from the `holidays` package (loaded per year)."""

    def __init__(self) -> None:
        self._states = {
            state: holidays.country_holidays("MY", subdiv=code)
            for state, code in SUBDIVISIONS.items()
        }

    def is_holiday(self, state: MalaysianState, day: date) -> bool:
        """Whether `day` is a public holiday in `state`."""
        return day in self._states[state]

    def name(self, state: MalaysianState, day: date) -> str | None:
        """The holiday's name, for logs and pages; None on a working day."""
        found: str | None = self._states[state].get(day)
        return found

    def of(self, state: MalaysianState) -> Callable[[date], bool]:
        """The state's holidays as a test of one day."""
        return lambda day: self.is_holiday(state, day)


def holders(
    rotas: RotaFile,
    role: str,
    state: MalaysianState | None,
    at: datetime,
    calendar: HolidayCalendar,
) -> tuple[Holder, ...]:
    """Everyone who holds `role`'s alert for a case in `state` at `at`, first to last.

    Always ends with the role's own endpoint, so an alert is never left with no one.
    """
    if state is None:
        return (Holder(None, Why.STATE_UNKNOWN),)
    rota = rotas.rota(role, state)
    if rota is None:
        return (Holder(None, Why.NO_ROTA),)
    return on_duty(rota, at, calendar.of(state))


def on_duty(rota: Rota, at: datetime, is_holiday: Callable[[date], bool]) -> tuple[Holder, ...]:
    """Those on duty at `at`, their stand-ins, those of anyone off, then the role's endpoint.

    A shift is on at `at` when it started on one of its days and has not ended. On a
    public holiday (the date at `at`, in Malaysia's time) a shift whose person does not
    work holidays passes to its stand-ins.
    """
    local = at.astimezone(MALAYSIA)
    today, now = local.date(), local.time()
    holiday = is_holiday(today)
    on: list[str] = []
    theirs: list[str] = []  # the stand-ins of those on duty, first
    for_the_off: list[str] = []  # then those of people off for the holiday
    for shift in rota.shifts:
        started = _started_on(shift, today, now)
        if started is None or not _starts_on(shift, started, is_holiday):
            continue
        if not holiday or shift.covers_holidays():
            on.append(shift.person)
            theirs += shift.stand_ins
        else:
            for_the_off += shift.stand_ins
    chain: list[Holder] = []
    standing_in = [(p, Why.STAND_IN) for p in theirs + for_the_off]
    for person, why in [(p, Why.ON_DUTY) for p in on] + standing_in:
        if all(h.person_id != person for h in chain):
            chain.append(Holder(person, why))
    return (*chain, Holder(None, Why.LAST_RESORT if chain else Why.NO_ONE_ON_DUTY))


def next_holder(chain: tuple[Holder, ...], position: int) -> tuple[int, Holder] | None:
    """The holder after `position`, with its position; None when the chain is at its end."""
    if position + 1 >= len(chain):
        return None
    return position + 1, chain[position + 1]


def _started_on(shift: Shift, today: date, now: time) -> date | None:
    """The day the stretch of `shift` that covers `now` started, or None if none does."""
    if shift.start < shift.end:
        return today if shift.start <= now < shift.end else None
    # Past midnight (or 24 hours when start == end): from start today, or until end today.
    if now >= shift.start:
        return today
    if now < shift.end:
        return today - timedelta(days=1)
    return None


def _starts_on(shift: Shift, day: date, is_holiday: Callable[[date], bool]) -> bool:
    if WEEKDAYS[day.weekday()] in shift.days:
        return True
    return Day.PUBLIC_HOLIDAY in shift.days and is_holiday(day)
