"""The Child Act's chained clocks: started by one milestone of a case, stopped by another.

The chain is policy data (`LegalClockPolicy`, each clock with its legal source): a clock
starts when its starting milestone is recorded, runs to its window's end (or to a set
time before a court date), and stops when its stopping milestone is recorded. A clock
whose time passes while it runs raises one alert to the case coordinator. Milestones are
taken by when they happened, not when they were recorded: one recorded late still stops
its clock, and says whether it was in time. The first record of a kind is the one that
counts; a repeat changes nothing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Final, Self

from lindung_contracts import (
    MALAYSIA_TIME,
    LegalClockChanged,
    LegalClockMissed,
    LegalClockState,
    MilestoneKind,
    RecipientRole,
)
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ClockRule",
    "LegalClock",
    "LegalClockPolicy",
    "Milestone",
    "MilestoneDecision",
    "clock_alert",
    "clock_change_id",
    "clock_changed",
    "clock_event_id",
    "on_milestone",
    "parse_duration",
]

_PART: Final = re.compile(r"(\d+)([smhd])")
_WHOLE: Final = re.compile(r"^(?:\d+[smhd])+$")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# One namespace for the alerts' ids: a clock of a case can only ever raise the one.
_ALERTS: Final = uuid.UUID("0c1d8a4e-5b7f-4c2a-9e3d-6f1a2b3c4d5e")


def parse_duration(value: object) -> timedelta:
    """`"12h"` -> 12 hours, as the policy files write durations; a bare number is refused."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not _WHOLE.match(value.strip()):
        msg = f"not a duration: {value!r}; write e.g. '30s', '15m', '12h', '7d' or '1h30m'"
        raise ValueError(msg)
    return timedelta(
        seconds=sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(value.strip()))
    )


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class ClockRule(BaseModel):
    """One legal clock: what starts it, what stops it, its time, and where the limit comes from.

    Exactly one of `window` (from the starting milestone) and `before_court` (that long
    before the start of the court date, in Malaysia's time) says when it runs out.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    starts_on: MilestoneKind
    stops_on: MilestoneKind
    window: Duration | None = None
    before_court: Duration | None = None
    source: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_time_limit(self) -> Self:
        if (self.window is None) == (self.before_court is None):
            raise ValueError("give one of window and before_court")
        if self.starts_on is self.stops_on:
            raise ValueError("a clock is stopped by another milestone than the one starting it")
        if self.before_court is not None and self.starts_on is not MilestoneKind.COURT_DATE_SET:
            raise ValueError("before_court needs a clock started by court_date_set")
        if self.window is not None and self.window <= timedelta(0):
            raise ValueError("window must be longer than nothing")
        return self

    def due(self, started: Milestone) -> datetime | None:
        """When the clock runs out, started by `started`; None when it cannot be known."""
        if self.window is not None:
            return started.at + self.window
        if started.court_date is None or self.before_court is None:
            return None  # a court date set without its day: nothing to count back from
        day = datetime.combine(started.court_date, time(0), tzinfo=MALAYSIA_TIME)
        return (day - self.before_court).astimezone(UTC)


class LegalClockPolicy(BaseModel):
    """The chain of legal clocks, as the sla-monitor's policy file states it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=100)
    clocks: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")], ClockRule]


@dataclass(frozen=True, slots=True)
class Milestone:
    """A milestone of a case as recorded: what, when it happened, and the court's day."""

    kind: MilestoneKind
    at: datetime
    court_date: date | None = None


@dataclass(frozen=True, slots=True)
class LegalClock:
    """One clock of one case, with what its rule said when it started."""

    case_id: uuid.UUID
    clock: str
    started_by: MilestoneKind
    started_at: datetime
    stopped_by: MilestoneKind
    due_at: datetime
    source: str
    state: LegalClockState = LegalClockState.RUNNING
    stopped_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MilestoneDecision:
    """What a recorded milestone does: kept or a repeat, clocks started, clocks stopped."""

    record: bool
    started: list[LegalClock] = field(default_factory=list)
    stopped: list[LegalClock] = field(default_factory=list)


def _stopped(clock: LegalClock, at: datetime) -> LegalClock:
    """The clock stopped by a milestone that happened at `at` (an alert already sent stays)."""
    if clock.state is LegalClockState.MISSED:
        return replace(clock, stopped_at=at)
    state = LegalClockState.MET if at <= clock.due_at else LegalClockState.LATE
    return replace(clock, state=state, stopped_at=at)


def on_milestone(
    policy: LegalClockPolicy,
    case_id: uuid.UUID,
    milestone: Milestone,
    known: Mapping[MilestoneKind, Milestone],
    clocks: Mapping[str, LegalClock],
) -> MilestoneDecision:
    """Start the clocks `milestone` starts and stop those it stops; a repeat does nothing.

    `known` are the case's milestones recorded before, `clocks` its clocks so far. A clock
    whose stopping milestone was recorded before its start starts already stopped.
    """
    if milestone.kind in known:
        return MilestoneDecision(record=False)
    started: list[LegalClock] = []
    for name, rule in policy.clocks.items():
        if rule.starts_on is milestone.kind and name not in clocks:
            due = rule.due(milestone)
            if due is None:
                continue
            clock = LegalClock(
                case_id=case_id,
                clock=name,
                started_by=rule.starts_on,
                started_at=milestone.at,
                stopped_by=rule.stops_on,
                due_at=due,
                source=rule.source,
            )
            stop = known.get(rule.stops_on)
            started.append(clock if stop is None else _stopped(clock, stop.at))
    stopped = [
        _stopped(clock, milestone.at)
        for clock in clocks.values()
        if clock.stopped_by is milestone.kind and clock.stopped_at is None
    ]
    return MilestoneDecision(record=True, started=started, stopped=stopped)


def clock_event_id(case_id: uuid.UUID, clock: str) -> uuid.UUID:
    """The one id a clock's alert can have: raised twice, it is the same event."""
    return uuid.uuid5(_ALERTS, f"{case_id}/{clock}")


def clock_alert(clock: LegalClock, now: datetime) -> LegalClockMissed | None:
    """The alert of a clock come due while running; None when it no longer runs."""
    if clock.state is not LegalClockState.RUNNING or clock.due_at > now:
        return None
    return LegalClockMissed(
        case_id=clock.case_id,
        clock=clock.clock,
        started_by=clock.started_by,
        started_at=clock.started_at,
        stopped_by=clock.stopped_by,
        due_at=clock.due_at,
        source=clock.source,
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=now,
    )


def clock_changed(clock: LegalClock, at: datetime) -> LegalClockChanged:
    """Where a clock stands now, for pages that show a case's clocks."""
    return LegalClockChanged(
        case_id=clock.case_id,
        clock=clock.clock,
        state=clock.state,
        started_by=clock.started_by,
        started_at=clock.started_at,
        stopped_by=clock.stopped_by,
        due_at=clock.due_at,
        stopped_at=clock.stopped_at,
        source=clock.source,
        at=at,
    )


def clock_change_id(clock: LegalClock) -> uuid.UUID:
    """The one id of each change a clock can go through: the same change is the same event."""
    stopped = "stopped" if clock.stopped_at is not None else "open"
    return uuid.uuid5(_ALERTS, f"{clock.case_id}/{clock.clock}/{clock.state.value}/{stopped}")
